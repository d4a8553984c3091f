package dev.specserve.drafters;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.runtime.grammar.OutputGrammar;
import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.GenerationRequest;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.RoundListener;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The correctness oracle: whatever a drafter proposes, greedy output is plain autoregressive output. */
class GreedyEqualsAutoregressiveTest {
    static ModelStack stack;

    static final List<String> PROMPTS = List.of(
            "import os\nimport sys\n\n\ndef main(argv=None):\n    parser = ",
            "    public static int compare(long x, long y) {\n        return ",
            "class Queue:\n    \"\"\"A FIFO queue.\"\"\"\n\n    def __init__(self, maxsize=0):\n        self.maxsize = maxsize\n        self.",
            "for (int i = 0; i < n; i++) {\n");

    @BeforeAll
    static void open() {
        stack = Stack.load();
        heldOutPrompts = prompts();
    }

    @AfterAll
    static void close() {
        stack.close();
    }

    static List<String> heldOutPrompts;
    static final java.util.Map<String, GenerationResult> REFERENCE = new java.util.HashMap<>();
    static final DraftBudget BUDGET = new DraftBudget(24, 8);

    /** Ten held-out prompts of each domain (the bench sets), plus the hand-written ones above. */
    static List<String> prompts() {
        List<String> all = new java.util.ArrayList<>(PROMPTS);
        for (String file : List.of("python-heldout.jsonl", "java-heldout.jsonl")) {
            java.nio.file.Path p = dev.specserve.runtime.SpecserveHome.home().resolve("bench/prompts").resolve(file);
            try {
                java.nio.file.Files.readAllLines(p).stream().limit(10).forEach(line -> all.add(promptOf(line)));
            } catch (java.io.IOException e) {
                throw new IllegalStateException("bench prompts missing: " + p, e);
            }
        }
        return all;
    }

    static String promptOf(String jsonLine) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(jsonLine).get("prompt").asText();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The prompt's tokens, keeping the last ones when prompt + 32 new tokens would not fit the context. */
    static int[] ids(String prompt) {
        int[] ids = stack.tokenizer().encode(prompt);
        int room = stack.manifest().target().contextLength() - 32;
        return ids.length <= room ? ids : java.util.Arrays.copyOfRange(ids, ids.length - room, ids.length);
    }

    static GenerationResult reference(String prompt) {
        return REFERENCE.computeIfAbsent(prompt, p -> stack.decoder().generate(
                GenerationRequest.greedy(ids(p), 32, BUDGET),
                stack.strategy("none", DrafterConfig.expanding()), RoundListener.NONE, () -> false));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ngram", "suffix", "eagle", "specblock-static", "specblock-fixed", "specblock",
            "hybrid", "auto"})
    void greedyOutputOfEveryStrategyEqualsAutoregressiveDecodingOnHeldOutPromptsOfBothDomains(String strategy) {
        List<String> prompts = heldOutPrompts;
        assertThat(prompts).hasSizeGreaterThanOrEqualTo(20);
        for (String prompt : prompts) {
            int[] ids = ids(prompt);
            GenerationResult expected = reference(prompt);
            GenerationResult speculative = stack.decoder().generate(GenerationRequest.greedy(ids, 32, BUDGET),
                    stack.strategy(strategy, DrafterConfig.expanding()), RoundListener.NONE, () -> false);

            assertThat(speculative.tokens()).as("%s on %s", strategy, prompt).containsExactly(expected.tokens());
            assertThat(speculative.finishReason()).isEqualTo(expected.finishReason());
            assertThat(speculative.rounds()).isLessThanOrEqualTo(expected.rounds());
        }
    }

    /** A schema the demo model can fill within the test's tokens: bounded strings and arrays. */
    static final String SCHEMA = """
            {"type": "object", "properties": {"name": {"type": "string", "maxLength": 24},
             "line": {"type": "integer", "minimum": 0}, "async": {"type": "boolean"},
             "args": {"type": "array", "items": {"type": "string", "maxLength": 12}, "maxItems": 3}},
             "required": ["name", "line"]}""";

    /**
     * Structured output masks each verification row by the grammar state after ITS path (a draft's own tokens
     * included): speculative output stays plain decoding's with the same mask, every output is a prefix the grammar
     * accepts, and one that stopped is whole (JSON mode: an object; a schema: an instance of it).
     */
    @ParameterizedTest(name = "{0} {1}")
    @org.junit.jupiter.params.provider.CsvSource({"suffix, json_object", "specblock-fixed, json_object",
            "hybrid, json_object", "auto, json_object", "suffix, json_schema", "specblock-fixed, json_schema",
            "specblock, json_schema", "auto, json_schema"})
    void greedyStructuredOutputEqualsAutoregressiveDecodingWithTheSameMask(String strategy, String format)
            throws Exception {
        OutputGrammar grammar = format.equals("json_object") ? OutputGrammar.jsonObject()
                : OutputGrammar.jsonSchema(SCHEMA, "response_format");
        dev.specserve.runtime.spec.SamplingParams json = dev.specserve.runtime.spec.SamplingParams.GREEDY
                .withGrammar(grammar);
        // a decoder of its own, so what its planner learns here cannot steer the other tests' planning
        var decoder = new dev.specserve.runtime.spec.SpeculativeDecoder(stack.target(), stack.tokenizer());
        int stopped = 0;
        int[] forced = new int[2]; // drafted, accepted
        RoundListener count = (round, emitted) -> {
            forced[0] += round.drafted(dev.specserve.runtime.spec.DraftTree.GRAMMAR);
            forced[1] += round.accepted(dev.specserve.runtime.spec.DraftTree.GRAMMAR);
        };
        for (String prompt : heldOutPrompts.subList(0, 8)) {
            int[] ids = ids(prompt);
            GenerationResult expected = decoder.generate(new GenerationRequest(ids, 48, json, List.of(), BUDGET),
                    stack.strategy("none", DrafterConfig.expanding()), RoundListener.NONE, () -> false);
            GenerationResult speculative = decoder.generate(new GenerationRequest(ids, 48, json, List.of(),
                    BUDGET), stack.strategy(strategy, DrafterConfig.expanding()), count, () -> false);

            assertThat(speculative.tokens()).as("%s on %s", strategy, prompt).containsExactly(expected.tokens());
            var state = grammar.start();
            assertThat(state.acceptAll(expected.text().getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                    .as("a prefix the grammar accepts: %s", expected.text()).isTrue();
            if (expected.finishReason() == dev.specserve.runtime.spec.FinishReason.STOP) {
                stopped++;
                var doc = new com.fasterxml.jackson.databind.ObjectMapper().readTree(expected.text());
                assertThat(doc.isObject()).isTrue();
                if (format.equals("json_schema")) {
                    assertThat(doc.get("name").isTextual()).as(expected.text()).isTrue();
                    assertThat(doc.get("line").canConvertToInt() && doc.get("line").asInt() >= 0).isTrue();
                }
            }
        }
        assertThat(stopped).as("some outputs close their object and stop, so EOS is tested too").isPositive();
        boolean adaptive = stack.strategy(strategy, DrafterConfig.expanding()).adaptive();
        if (adaptive && format.equals("json_schema")) {
            assertThat(forced[1]).as("the schema's forced text was drafted (%d) and accepted", forced[0]).isPositive();
        } else {
            assertThat(forced[0]).as("fixed-budget strategies draft as asked; JSON mode forces nothing").isZero();
        }
    }

    /**
     * auto switches a sequence between plain steps (budget 0) and trees mid-generation; output stays exact. Without
     * the lookup corpus, which on these prompts leaves auto something worth verifying in every round.
     */
    @org.junit.jupiter.api.Test
    void autoSwitchingBetweenPlainStepsAndTreesMidGenerationKeepsGreedyOutputExact() {
        DrafterConfig noCorpus = DrafterConfig.defaults().withSuffix(DrafterConfig.defaults().suffix().withCorpus(false));
        var drafter = stack.strategy("auto", noCorpus);
        int switching = 0;
        for (String prompt : heldOutPrompts) {
            List<Integer> sizes = new java.util.ArrayList<>();
            GenerationResult r = stack.decoder().generate(GenerationRequest.greedy(ids(prompt), 32,
                    drafter.defaultBudget(BUDGET)), drafter, (round, emitted) -> sizes.add(round.tree().size()),
                    () -> false);

            assertThat(r.tokens()).as("auto on %s", prompt).containsExactly(reference(prompt).tokens());
            if (sizes.contains(0) && sizes.stream().anyMatch(n -> n > 0)) {
                switching++;
            }
        }
        assertThat(switching).as("generations with both plain steps and trees").isPositive();
    }

    /**
     * No round drafts deeper than the output has room for: a request cut by max_tokens emits every token it
     * accepted (the last round's tree verified nodes that could never be emitted, and τ counted them).
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"suffix", "eagle", "specblock-fixed", "specblock", "auto"})
    void aRoundDraftsNoDeeperThanTheTokensLeft(String strategy) {
        for (String prompt : heldOutPrompts.subList(0, 12)) {
            for (int maxTokens : new int[] {2, 5, 9}) {
                GenerationResult r = stack.decoder().generate(GenerationRequest.greedy(ids(prompt), maxTokens, BUDGET),
                        stack.strategy(strategy, DrafterConfig.expanding()), RoundListener.NONE, () -> false);
                if (r.finishReason() == dev.specserve.runtime.spec.FinishReason.LENGTH) {
                    assertThat(r.acceptedDraftTokens() + r.rounds()).as("%s, %d tokens: %s", strategy, maxTokens, prompt)
                            .isEqualTo(r.tokens().length - 1);
                }
            }
        }
    }
}
