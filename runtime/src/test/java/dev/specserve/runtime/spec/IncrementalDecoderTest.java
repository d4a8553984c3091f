package dev.specserve.runtime.spec;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.specserve.runtime.TestModels;
import dev.specserve.runtime.byom.ByomModels;
import dev.specserve.runtime.manifest.ManifestLoader;
import dev.specserve.runtime.manifest.ModelManifest;
import dev.specserve.runtime.tokenizer.TextTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The output text decoded a window at a time streams exactly what decoding the whole output every round did:
 * every delta, the stop-string cut and the final text, checked against that old path (kept here as
 * {@link WholeText}) on real tokenizers: the demo's and the GPT-2 fixture's byte-level BPE, and a Llama-style
 * byte-fallback one whose decoder strips the text's leading space and rewrites a byte run that turns invalid.
 */
class IncrementalDecoderTest {
    static final String[] TEXTS = {
        "def add(a, b):\n    return a + b\n\n\nclass Foo:\n    pass\n",
        "naïve café — Grüße, 日本語のテキスト, emoji 🚀🧪👍🏽, tabs\tand\r\nCRLF",
        "Ωμέγα ∑ ∫ ≤ ≥ ← → x² “quoted” ‘single’ …",
        "   leading and trailing spaces   ",
    };

    @TempDir
    static Path tmp;
    static final Map<String, TextTokenizer> TOKENIZERS = new HashMap<>();
    static final Map<String, Integer> VOCAB = new HashMap<>();

    @BeforeAll
    static void load() throws IOException {
        ModelManifest demo = ManifestLoader.load(TestModels.dir());
        ModelManifest gpt2 = ManifestLoader.load(ByomModels.dir("gpt2"));
        TOKENIZERS.put("demo", TextTokenizer.load(demo.tokenizer().file(), demo.tokenizer().eosIds()));
        VOCAB.put("demo", demo.tokenizer().vocabSize());
        TOKENIZERS.put("gpt2", TextTokenizer.load(gpt2.tokenizer().file(), gpt2.tokenizer().eosIds()));
        VOCAB.put("gpt2", gpt2.tokenizer().vocabSize());
        TOKENIZERS.put("byte-fallback", TextTokenizer.load(byteFallbackTokenizer(), 2));
        VOCAB.put("byte-fallback", 259 + 95 + 3);
    }

    @AfterAll
    static void close() {
        TOKENIZERS.values().forEach(TextTokenizer::close);
    }

    /**
     * A Llama-2-style tokenizer.json (no merges): {@code <unk> <s> </s>}, the 256 byte tokens, "▁", printable
     * ASCII and three multi-char pieces; its decoder turns "▁" into spaces, fuses byte runs (one U+FFFD per byte
     * of a run that is not valid UTF-8) and strips one leading space of the whole text.
     */
    static Path byteFallbackTokenizer() throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode vocab = json.createObjectNode().put("<unk>", 0).put("<s>", 1).put("</s>", 2);
        for (int b = 0; b < 256; b++) {
            vocab.put(String.format("<0x%02X>", b), 3 + b);
        }
        vocab.put("▁", 259);
        for (char c = '!'; c <= '~'; c++) {
            vocab.put(String.valueOf(c), 260 + c - '!');
        }
        vocab.put("▁the", 354).put("é", 355).put("▁日本", 356);
        ObjectNode root = (ObjectNode) json.readTree("""
                {"version": "1.0", "truncation": null, "padding": null, "pre_tokenizer": null, "post_processor": null,
                 "added_tokens": [
                   {"id": 0, "content": "<unk>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
                   {"id": 1, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
                   {"id": 2, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}],
                 "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"},
                   {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
                 "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
                   {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
                 "model": {"type": "BPE", "dropout": null, "unk_token": "<unk>", "continuing_subword_prefix": null,
                   "end_of_word_suffix": null, "fuse_unk": true, "byte_fallback": true, "merges": []}}
                """);
        ((ObjectNode) root.get("model")).set("vocab", vocab);
        Path file = tmp.resolve("byte-fallback-tokenizer.json");
        json.writeValue(file.toFile(), root);
        return file;
    }

    @ParameterizedTest
    @ValueSource(strings = {"demo", "gpt2", "byte-fallback"})
    void randomIdsInRandomChunksStreamWhatDecodingTheWholeOutputStreamed(String name) {
        TextTokenizer tok = TOKENIZERS.get(name);
        int vocab = VOCAB.get(name);
        int[] partial = java.util.stream.IntStream.range(0, vocab)
                .filter(id -> tok.decode(new int[] {id}).endsWith("\uFFFD")).toArray();
        assertThat(partial).as("ids holding part of a multi-byte character").hasSizeGreaterThan(60);
        Random rnd = new Random(name.hashCode());
        for (int run = 0; run < 150; run++) {
            int[] ids = new int[1 + rnd.nextInt(120)];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = rnd.nextInt(3) == 0 ? partial[rnd.nextInt(partial.length)] : rnd.nextInt(vocab);
            }
            String streamed = feed(tok, ids, List.of(), 1000, rnd, 1 + rnd.nextInt(8));
            if (!name.equals("byte-fallback")) { // its decoder rewrites sent text: both paths then stream the same mix
                assertThat(streamed).isEqualTo(tok.decode(withoutEos(tok, ids)));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"demo", "gpt2", "byte-fallback"})
    void realTextFedInRandomChunksStreamsExactlyTheText(String name) {
        TextTokenizer tok = TOKENIZERS.get(name);
        Random rnd = new Random(42);
        for (String text : TEXTS) {
            int[] ids = tok.encode(text);
            for (int run = 0; run < 20; run++) {
                assertThat(feed(tok, ids, List.of(), 1000, rnd, 1 + run % 6)).isEqualTo(tok.decode(ids));
            }
            assertThat(feed(tok, ids, List.of(), 7, rnd, 3)).as("max tokens").isEqualTo(
                    tok.decode(Arrays.copyOf(ids, Math.min(ids.length, 7))));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"demo", "gpt2", "byte-fallback"})
    void stopStringsCutWhereSearchingTheWholeTextCut(String name) {
        TextTokenizer tok = TOKENIZERS.get(name);
        Random rnd = new Random(7);
        for (String text : TEXTS) {
            int[] ids = tok.encode(text);
            for (int run = 0; run < 30; run++) {
                List<String> stop = new ArrayList<>();
                for (int s = 1 + rnd.nextInt(3); s > 0; s--) {
                    int at = rnd.nextInt(text.length());
                    stop.add(text.substring(at, Math.min(text.length(), at + 1 + rnd.nextInt(12))));
                }
                // the byte-fallback decoder rewrites text already sent, so only the others stream the final text
                feed(tok, ids, stop, 1000, rnd, 1 + rnd.nextInt(6), !name.equals("byte-fallback"));
            }
        }
    }

    @Test
    void aStopStringAcrossChunksIsCutAtItsFirstOccurrence() {
        TextTokenizer tok = TOKENIZERS.get("demo");
        int[] ids = tok.encode("def main():\n    return 42\n\ndef other():\n    return 42\n");
        for (int chunk = 1; chunk <= 4; chunk++) {
            assertThat(stoppedText(tok, ids, List.of("urn 4"), chunk)).isEqualTo("def main():\n    ret");
            assertThat(stoppedText(tok, ids, List.of("():\n    return 42\n\ndef"), chunk)).isEqualTo("def main");
            assertThat(stoppedText(tok, ids, List.of("other", "n 4", "\n\n"), chunk))
                    .as("the earliest of several").isEqualTo("def main():\n    retur");
        }
        for (int chunk = 1; chunk <= 8; chunk++) {
            OutputTracker out = new OutputTracker(tok, 1000, List.of("urn 4"));
            for (int i = 0; i < ids.length && !out.finished(); i += chunk) {
                out.addAll(Arrays.copyOfRange(ids, i, Math.min(ids.length, i + chunk)));
            }
            int[] kept = out.tokens();
            assertThat(tok.decode(kept)).as("chunk %d: the tokens through the stop", chunk).contains("urn 4");
            assertThat(tok.decode(Arrays.copyOf(kept, kept.length - 1))).as("and none after it").doesNotContain("urn 4");
        }
        int[] euro = tok.encode("price: 5€ or 6€");
        assertThat(stoppedText(tok, euro, List.of("€"), 1)).as("a stop character split over byte tokens")
                .isEqualTo("price: 5");
    }

    @Test
    void noPartOfAStopStringIsStreamedBeforeItCompletes() {
        TextTokenizer tok = TOKENIZERS.get("demo");
        int[] ids = tok.encode(" 4\nQ: 3+3?\nA: 6");
        for (int chunk = 1; chunk <= 3; chunk++) {
            OutputTracker out = new OutputTracker(tok, 1000, List.of("\nQ:"));
            StringBuilder streamed = new StringBuilder();
            for (int i = 0; i < ids.length && !out.finished(); i += chunk) {
                out.addAll(Arrays.copyOfRange(ids, i, Math.min(ids.length, i + chunk)));
                streamed.append(out.delta());
                assertThat(streamed.toString()).as("chunk %d", chunk).doesNotEndWith("\n").doesNotEndWith("\nQ");
            }
            assertThat(streamed.toString()).isEqualTo(" 4").isEqualTo(out.text());
        }
        OutputTracker open = new OutputTracker(tok, 1000, List.of("\nQ:"));
        open.addAll(tok.encode(" 4\n"));
        assertThat(open.delta()).as("held while it may begin the stop string").isEqualTo(" 4");
        open.addAll(tok.encode("x"));
        assertThat(open.delta()).as("released once it cannot").isEqualTo("\nx");
    }

    private static String stoppedText(TextTokenizer tok, int[] ids, List<String> stop, int chunk) {
        OutputTracker out = new OutputTracker(tok, 1000, stop);
        for (int i = 0; i < ids.length && !out.finished(); i += chunk) {
            out.addAll(Arrays.copyOfRange(ids, i, Math.min(ids.length, i + chunk)));
        }
        assertThat(out.reason()).isEqualTo(FinishReason.STOP);
        return out.text();
    }

    /**
     * Feeds {@code ids} in random chunks of 1..k to an OutputTracker and to the whole-text path, asserting after
     * each chunk (and once more after finishing) that both emit the same tokens and text; returns the text
     * streamed.
     */
    private static String feed(TextTokenizer tok, int[] ids, List<String> stop, int maxTokens, Random rnd, int k) {
        return feed(tok, ids, stop, maxTokens, rnd, k, false);
    }

    /** As above; with {@code streamsFinalText}, also that the text streamed is the final text, stop cut included. */
    private static String feed(TextTokenizer tok, int[] ids, List<String> stop, int maxTokens, Random rnd, int k,
                               boolean streamsFinalText) {
        OutputTracker out = new OutputTracker(tok, maxTokens, stop);
        WholeText old = new WholeText(tok, maxTokens, stop);
        StringBuilder streamed = new StringBuilder();
        for (int i = 0; i < ids.length && !out.finished(); ) {
            int[] chunk = Arrays.copyOfRange(ids, i, Math.min(ids.length, i + 1 + rnd.nextInt(k)));
            i += chunk.length;
            assertThat(out.addAll(chunk)).isEqualTo(old.addAll(chunk));
            String delta = out.delta();
            assertThat(delta).as("delta after %d of %s, stop %s", i, Arrays.toString(ids), stop)
                    .isEqualTo(old.delta());
            streamed.append(delta);
            assertThat(out.finished()).isEqualTo(old.finished);
        }
        out.finish(FinishReason.LENGTH);
        old.finished = true;
        String last = out.delta();
        assertThat(last).as("flush of %s, stop %s", Arrays.toString(ids), stop).isEqualTo(old.delta());
        assertThat(out.text()).isEqualTo(old.text());
        streamed.append(last);
        if (streamsFinalText) {
            assertThat(streamed.toString()).as("streamed with stop %s", stop).isEqualTo(out.text());
        }
        return streamed.toString();
    }

    private static int[] withoutEos(TextTokenizer tok, int[] ids) {
        int n = 0;
        while (n < ids.length && !tok.isEos(ids[n])) {
            n++;
        }
        return Arrays.copyOf(ids, n);
    }

    /** OutputTracker and Running.emit before incremental decoding: every round decoded the whole output. */
    static final class WholeText {
        private final TextTokenizer tok;
        private final int maxTokens;
        private final List<String> stop;
        private final List<Integer> tokens = new ArrayList<>();
        boolean finished;
        private String stoppedText;
        private int sentChars;

        WholeText(TextTokenizer tok, int maxTokens, List<String> stop) {
            this.tok = tok;
            this.maxTokens = maxTokens;
            this.stop = stop;
        }

        int[] addAll(int[] committed) {
            int before = tokens.size();
            for (int t : committed) {
                if (finished) {
                    break;
                }
                if (tok.isEos(t)) {
                    finished = true;
                    break;
                }
                tokens.add(t);
                finished = tokens.size() >= maxTokens;
            }
            if (!stop.isEmpty() && tokens.size() > before) {
                String text = tok.decode(ids(0));
                int cut = -1;
                for (String s : stop) {
                    int i = text.indexOf(s);
                    if (i >= 0 && (cut < 0 || i < cut)) {
                        cut = i;
                    }
                }
                if (cut >= 0) {
                    stoppedText = text.substring(0, cut);
                    finished = true;
                    while (tokens.size() > before + 1 && containsStop(tok.decode(ids(0, tokens.size() - 1)))) {
                        tokens.remove(tokens.size() - 1); // tokens after the one completing the stop are not output
                    }
                }
            }
            return ids(before);
        }

        String delta() {
            String text = text();
            int stable = text.length();
            while (stable > 0 && text.charAt(stable - 1) == '\uFFFD' && !finished) {
                stable--;
            }
            for (int n = stable - sentChars; n > 0 && !finished; n--) { // an end that may begin a stop string waits
                String end = text.substring(stable - n, stable);
                if (stop.stream().anyMatch(s -> s.length() > end.length() && s.startsWith(end))) {
                    stable -= n;
                    break;
                }
            }
            String delta = stable > sentChars ? text.substring(sentChars, stable) : "";
            sentChars = Math.max(sentChars, stable);
            return delta;
        }

        String text() {
            return stoppedText != null ? stoppedText : tok.decode(ids(0));
        }

        private int[] ids(int from) {
            return ids(from, tokens.size());
        }

        private int[] ids(int from, int to) {
            return tokens.subList(from, to).stream().mapToInt(Integer::intValue).toArray();
        }

        private boolean containsStop(String text) {
            return stop.stream().anyMatch(text::contains);
        }
    }

    /**
     * A SentencePiece-style vocabulary's token bytes, which logprobs carry: a byte-fallback piece is its byte (each
     * decodes to U+FFFD alone, so all had U+FFFD's bytes and the pieces of a character could not be told apart or
     * joined), a word piece its text with the space its ▁ stands for.
     */
    @org.junit.jupiter.api.Test
    void sentencepiece_token_bytes_are_the_byte_of_a_byte_piece_and_a_word_piece_with_its_space() {
        TextTokenizer tok = TOKENIZERS.get("byte-fallback");
        int c3 = 3 + 0xC3;

        assertThat(tok.tokenBytes(c3, tok.decode(new int[] {c3}))).containsExactly((byte) 0xC3);
        assertThat(new String(tok.tokenBytes(354, tok.decode(new int[] {354})), java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo(" the");
        assertThat(tok.tokenBytes(2, "")).as("an added token: its text").isEmpty();
    }
}
