import dev.specserve.runtime.tokenizer.TextTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Writes a prompts file for the prefix-cache TTFT benchmark: every prompt is the same PREFIX-token "system
 * prompt" (the start of one held-out Python file) followed by a different SUFFIX-token tail (from other files).
 * Not a test; run with
 *
 *   java -cp controller/target/specserve.jar bench/PrefixPrompts.java models/demo OUT.jsonl [PREFIX SUFFIX COUNT]
 */
public class PrefixPrompts {
    public static void main(String[] args) throws Exception {
        int prefix = args.length > 2 ? Integer.parseInt(args[2]) : 256;
        int suffix = args.length > 3 ? Integer.parseInt(args[3]) : 128;
        int count = args.length > 4 ? Integer.parseInt(args[4]) : 24;
        List<String> sources = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("bench/prompts/python-heldout.jsonl"))) {
            sources.add(line);
        }
        try (TextTokenizer tok = TextTokenizer.load(Path.of(args[0]).resolve("tokenizer.json"), 0)) {
            List<String> texts = new ArrayList<>();
            for (String line : sources) {
                texts.add(unjson(line));
            }
            String system = tok.decode(Arrays.copyOf(tok.encode(String.join("\n", texts)), prefix));
            StringBuilder out = new StringBuilder();
            int made = 0;
            List<int[]> encoded = new ArrayList<>();
            for (String t : texts) {
                encoded.add(tok.encode(t));
            }
            for (int i = 1; made < count && i < 100 * texts.size(); i++) {   // file i % n, chunk i / n
                int[] t = encoded.get(i % texts.size());
                int from = (i / texts.size()) * suffix;
                if (t.length < from + suffix) {
                    continue;
                }
                String tail = tok.decode(Arrays.copyOfRange(t, from, from + suffix));
                String prompt = system + tail;
                out.append("{\"prompt\": ").append(json(prompt)).append(", \"tokens\": ").append(tok.encode(prompt).length)
                        .append("}\n");
                made++;
            }
            Files.writeString(Path.of(args[1]), out.toString());
        }
    }

    static String unjson(String line) {
        int start = line.indexOf("\"prompt\": \"") + 11;
        StringBuilder sb = new StringBuilder();
        for (int i = start; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '"') {
                break;
            }
            if (c == '\\') {
                char n = line.charAt(++i);
                switch (n) {
                    case 'n' -> sb.append('\n');
                    case 't' -> sb.append('\t');
                    case 'u' -> { sb.append((char) Integer.parseInt(line.substring(i + 1, i + 5), 16)); i += 4; }
                    default -> sb.append(n);
                }
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    static String json(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
