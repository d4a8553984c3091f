package dev.specserve.controller.cli;

import dev.specserve.drafters.DrafterConfig;
import dev.specserve.drafters.LookupCorpus;
import dev.specserve.drafters.ModelStack;
import dev.specserve.runtime.manifest.ManifestWriter;
import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.Drafter;
import dev.specserve.runtime.spec.GenerationRequest;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.RoundListener;
import dev.specserve.runtime.spec.SamplingParams;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Builds a model's lookup corpus ({@link LookupCorpus}): random snippets of the given text, each followed by the
 * target's greedy continuation, so lookup drafting can propose what this target tends to say from the first request
 * on. Plain Java over the served ONNX target: it works for any model directory, the bundled pair or an exported one.
 */
@Command(name = "lookup-corpus", mixinStandardHelpOptions = true,
        description = {"Build the model's lookup corpus: the target's own greedy continuations of random snippets of "
                + "FILE..., written to DIR/lookup.bin and recorded (with its sha256) in DIR/manifest.json. The lookup "
                + "strategies (suffix, hybrid, auto) then draft from it; output is unchanged, as for every draft.",
                "FILE may be @LIST, a file naming one FILE per line.",
                "A model directory that already has a lookup corpus (the bundled demo pair has one) is refused unless "
                        + "--replace is given: the old corpus is overwritten."})
final class LookupCorpusCommand implements Callable<Integer> {
    private static final String FILE = "lookup.bin";

    @Option(names = "--snippets", defaultValue = "4096",
            description = "Continuations to generate; each snippet is a random window of a random FILE (default: ${DEFAULT-VALUE}).")
    int snippets;

    @Option(names = "--snippet-tokens", defaultValue = "32", description = "Tokens per snippet (default: ${DEFAULT-VALUE}).")
    int snippetTokens;

    @Option(names = "--continuation-tokens", defaultValue = "96",
            description = "Greedy tokens generated after each snippet (default: ${DEFAULT-VALUE}).")
    int continuationTokens;

    @Option(names = "--seed", defaultValue = "7", description = "Snippet choice seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--note", defaultValue = "", description = "Where FILE... come from, recorded in the manifest.")
    String note;

    @Option(names = "--replace", description = "Overwrite the model directory's existing lookup corpus (refused without "
            + "this flag, since it may have taken long to build and cannot be recovered).")
    boolean replace;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "UTF-8 text files to take snippets from.")
    List<Path> files;

    @Mixin
    ModelOptions models;

    @Override
    public Integer call() throws IOException {
        validate();
        long t0 = System.nanoTime();
        try (ModelStack stack = models.load()) {
            int context = stack.manifest().target().contextLength();
            if (snippetTokens + continuationTokens >= context) {
                throw new IllegalArgumentException("--snippet-tokens + --continuation-tokens must be below the model's "
                        + "context of " + context + ", got " + (snippetTokens + continuationTokens));
            }
            List<int[]> texts = tokenized(stack);
            long g0 = System.nanoTime();
            Path dir = stack.manifest().directory();
            Path tmp = dir.resolve(FILE + ".tmp");
            int eos = stack.tokenizer().eosId();
            Drafter drafter = stack.strategy("auto", DrafterConfig.defaults()); // greedy: the output plain decoding gives
            SplittableRandom rng = new SplittableRandom(seed);
            long tokens = 0;
            long generated = 0;
            long lastReport = System.nanoTime();
            try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp)))) {
                for (int i = 0; i < snippets; i++) {
                    int[] source = texts.get(rng.nextInt(texts.size()));
                    int start = rng.nextInt(source.length - snippetTokens + 1);
                    int[] snippet = Arrays.copyOfRange(source, start, start + snippetTokens);
                    GenerationResult r = stack.decoder().generate(new GenerationRequest(snippet, continuationTokens,
                            SamplingParams.GREEDY, List.of(), drafter.defaultBudget(new DraftBudget(6, 4))), drafter,
                            RoundListener.NONE, () -> false);
                    int[] doc = concat(snippet, r.tokens(), eos);
                    for (int id : doc) {
                        TokenizeCommand.writeUint32(out, id);
                    }
                    tokens += doc.length;
                    generated += r.tokens().length;
                    if (System.nanoTime() - lastReport > 5_000_000_000L || i == snippets - 1) {
                        lastReport = System.nanoTime();
                        double s = (lastReport - g0) / 1e9;
                        System.err.printf("lookup-corpus: %d/%d continuations, %,d tokens, %.0f generated tok/s, "
                                + "eta %.0f s%n", i + 1, snippets, tokens, generated / s, s / (i + 1) * (snippets - i - 1));
                    }
                }
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(tmp); // never a partial corpus under the manifest's name
                throw e;
            }
            Files.move(tmp, dir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            double seconds = Math.round((System.nanoTime() - t0) / 1e8) / 10.0;
            ManifestWriter.addFile(dir, "lookup", section(texts, tokens, seconds), FILE);
            System.err.printf("lookup-corpus: %d continuations, %,d tokens -> %s (manifest updated) in %.0f s%n",
                    snippets, tokens, dir.resolve(FILE), seconds);
            return 0;
        }
    }

    private void validate() throws IOException {
        if (snippets < 1 || snippetTokens < 2 || continuationTokens < 1) {
            throw new IllegalArgumentException("--snippets and --continuation-tokens must be >= 1 and --snippet-tokens "
                    + ">= 2, got " + snippets + ", " + continuationTokens + " and " + snippetTokens);
        }
        for (Path f : files) {
            if (!Files.isRegularFile(f)) {
                throw new IllegalArgumentException(Files.isDirectory(f) ? f + " is a directory, not a file"
                        : "no such file: " + f);
            }
        }
        String existing = existingCorpus(models.directory());
        if (existing != null && !replace) {
            throw new IllegalArgumentException(models.directory() + " already has a lookup corpus (" + existing
                    + "); pass --replace to overwrite it, or --models DIR for another model directory");
        }
    }

    /** A description of {@code dir}'s lookup corpus (file and size), or null if it has none. */
    static String existingCorpus(Path dir) throws IOException {
        Path manifest = dir.resolve("manifest.json");
        Path file = dir.resolve(FILE);
        String tokens = "";
        boolean listed = false;
        if (Files.isRegularFile(manifest)) {
            try {
                var lookup = new com.fasterxml.jackson.databind.ObjectMapper().readTree(manifest.toFile()).path("lookup");
                listed = lookup.isObject();
                if (lookup.path("file").isTextual()) {
                    file = dir.resolve(lookup.path("file").asText());
                }
                if (lookup.path("tokens").canConvertToLong()) {
                    tokens = String.format(", %,d tokens", lookup.path("tokens").asLong());
                }
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                // not this command's to report: loading the models names the broken manifest
            }
        }
        if (Files.isRegularFile(file)) {
            return String.format("%s, %,d bytes%s", file, Files.size(file), tokens);
        }
        return listed ? "the manifest's \"lookup\" section" + tokens : null;
    }

    /** Each FILE's token ids; files shorter than a snippet are left out. */
    private List<int[]> tokenized(ModelStack stack) throws IOException {
        List<int[]> texts = new ArrayList<>();
        List<Path> tooShort = new ArrayList<>();
        for (Path f : files) {
            int[] ids = stack.tokenizer().encode(new String(Files.readAllBytes(f), StandardCharsets.UTF_8));
            if (ids.length >= snippetTokens) {
                texts.add(ids);
            } else {
                tooShort.add(f);
            }
        }
        if (!tooShort.isEmpty()) { // said, not dropped silently
            System.err.printf("lookup-corpus: skipping %d FILE(s) shorter than --snippet-tokens %d: %s%n",
                    tooShort.size(), snippetTokens, tooShort.size() <= 5 ? tooShort : tooShort.subList(0, 5) + " ...");
        }
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("no FILE has " + snippetTokens + " tokens for a snippet");
        }
        return texts;
    }

    private Map<String, Object> section(List<int[]> texts, long tokens, double seconds) {
        Map<String, Object> build = new LinkedHashMap<>();
        build.put("command", "bin/specserve lookup-corpus");
        build.put("sources", note.isEmpty() ? files.size() + " files" : note);
        build.put("source_files_used", texts.size());
        build.put("source_tokens", texts.stream().mapToLong(t -> t.length).sum());
        build.put("snippets", snippets);
        build.put("snippet_tokens", snippetTokens);
        build.put("continuation_tokens", continuationTokens);
        build.put("seed", seed);
        build.put("decoding", "greedy (the auto strategy, whose output is plain decoding's)");
        build.put("seconds", seconds);
        build.put("date", Instant.now().toString().substring(0, 10));
        Map<String, Object> section = new LinkedHashMap<>();
        section.put("file", FILE);
        section.put("format", "little-endian uint32 token ids; each document (a snippet and its continuation) "
                + "ends with the EOS id");
        section.put("tokens", tokens);
        section.put("documents", snippets);
        section.put("build", build);
        return section;
    }

    private static int[] concat(int[] snippet, int[] continuation, int eos) {
        int n = continuation.length;
        while (n > 0 && continuation[n - 1] == eos) {
            n--;
        }
        int[] doc = Arrays.copyOf(snippet, snippet.length + n + 1);
        System.arraycopy(continuation, 0, doc, snippet.length, n);
        doc[doc.length - 1] = eos;
        return doc;
    }
}
