package dev.specserve.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TokenizerTest {
    static LoadedModels models;

    @BeforeAll
    static void open() {
        models = new LoadedModels();
    }

    @AfterAll
    static void close() {
        models.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "def add(a, b):\n    return a + b\n",
        "public static void main(String[] args) { System.out.println(\"hi\"); }",
        "naïve café — Grüße, 日本語のテキスト, emoji 🚀🧪, tabs\tand\r\nCRLF",
        "   leading and trailing spaces   ",
        "Ωμέγα ∑ ∫ ≤ ≥ ← →"
    })
    void decodingTheEncodingGivesBackTheText(String text) {
        int[] ids = models.tokenizer.encode(text);

        assertThat(ids).isNotEmpty();
        assertThat(java.util.Arrays.stream(ids).boxed().toList())
                .allMatch(id -> id >= 0 && id < models.manifest.tokenizer().vocabSize());
        assertThat(models.tokenizer.decode(ids)).isEqualTo(text);
    }

    /** A tokenizer.json whose post-processor puts BOS (here id 0, the demo's only special token) in front. */
    @org.junit.jupiter.api.Test
    void aPostProcessorsBosIsAddedOnceEvenWhenAChatTemplateAlreadyWroteIt(@org.junit.jupiter.api.io.TempDir
                                                                             java.nio.file.Path tmp) throws Exception {
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        var json = (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(
                models.manifest.tokenizer().file().toFile());
        String bos = "<|endoftext|>";
        json.set("post_processor", mapper.readTree("{\"type\":\"TemplateProcessing\",\"single\":[{\"SpecialToken\":"
                + "{\"id\":\"" + bos + "\",\"type_id\":0}},{\"Sequence\":{\"id\":\"A\",\"type_id\":0}}],\"pair\":[],"
                + "\"special_tokens\":{\"" + bos + "\":{\"id\":\"" + bos + "\",\"ids\":[0],\"tokens\":[\"" + bos + "\"]}}}"));
        java.nio.file.Path file = tmp.resolve("tokenizer.json");
        mapper.writeValue(file.toFile(), json);
        try (var plain = dev.specserve.runtime.tokenizer.TextTokenizer.load(models.manifest.tokenizer().file(), 0);
             var withBos = dev.specserve.runtime.tokenizer.TextTokenizer.load(file, 0)) {
            int[] text = plain.encode("def f(x):");

            assertThat(withBos.encode("def f(x):")).as("BOS added in front").startsWith(0).hasSize(text.length + 1);
            assertThat(withBos.encode(bos + "def f(x):")).as("a template's own BOS is not doubled")
                    .containsExactly(withBos.encode("def f(x):"));
            assertThat(plain.encode(bos + bos + "x")).as("text that really starts with two keeps both")
                    .startsWith(0, 0);
        }
    }

    /**
     * Closing the tokenizer while another thread is inside it (a worker tokenizing a prompt as the server shuts
     * down) waits for that call, then refuses further ones: it freed the native tokenizer under the running call,
     * and the JVM crashed (SIGSEGV in libtokenizers).
     */
    @org.junit.jupiter.api.Test
    void closingWhileAnotherThreadTokenizesWaitsForItThenRefusesFurtherCalls() throws Exception {
        var tokenizer = dev.specserve.runtime.tokenizer.TextTokenizer.load(models.manifest.tokenizer().file(),
                models.manifest.tokenizer().eosId());
        String text = "def add(a, b):\n    return a + b\n".repeat(4_000);
        java.util.concurrent.atomic.AtomicInteger encoded = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.CompletableFuture<Throwable> worker = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                while (true) { // tokenizes until refused: close lands inside one of these calls
                    tokenizer.encode(text);
                    encoded.incrementAndGet();
                }
            } catch (RuntimeException e) {
                return e;
            }
        });
        while (encoded.get() < 2) {
            Thread.sleep(1);
        }

        tokenizer.close();

        assertThat(worker.get(60, java.util.concurrent.TimeUnit.SECONDS)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> tokenizer.decode(new int[] {1}))
                .isInstanceOf(IllegalStateException.class);
        tokenizer.close(); // twice: harmless
    }
}
