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
}
