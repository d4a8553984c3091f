package dev.specserve.runtime.grammar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Structured output's schemas as byte automata: an instance in the canonical layout is accepted to its end and
 * complete only there; the first byte no instance allows is refused; keywords not served are refused by name.
 */
class JsonSchemaGrammarTest {
    static final String PERSON = """
            {"type": "object", "properties": {
               "name": {"type": "string", "maxLength": 8},
               "age": {"type": "integer", "minimum": 0, "maximum": 150},
               "email": {"type": ["string", "null"]},
               "tags": {"type": "array", "items": {"enum": ["a", "b", 3]}, "minItems": 1, "maxItems": 2}},
             "required": ["name", "age"]}""";

    static OutputGrammar schema(String json) {
        OutputGrammar g = OutputGrammar.jsonSchema(json, "response_format");
        g.compile();
        return g;
    }

    /** The length of the longest prefix of {@code text} the grammar accepts. */
    static int acceptedPrefix(OutputGrammar g, String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        GrammarState s = g.start();
        for (int i = 0; i < b.length; i++) {
            if (!s.accept(b[i])) {
                return i;
            }
        }
        return b.length;
    }

    static boolean whole(OutputGrammar g, String text) {
        GrammarState s = g.start();
        return s.acceptAll(text.getBytes(StandardCharsets.UTF_8)) && s.complete();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"name\": \"Ada\", \"age\": 36}",
            "{\"name\": \"\", \"age\": 0, \"tags\": [\"a\"]}",
            "{\"name\": \"Zoë 漢\", \"age\": 150, \"email\": null, \"tags\": [3, \"b\"]}",
            "{\"name\": \"q\\\"\\u00e9\", \"age\": 7, \"email\": \"x@y.z\"}"})
    void an_instance_in_the_canonical_layout_is_accepted_and_complete_only_at_its_end(String doc) {
        OutputGrammar g = schema(PERSON);
        assertThat(whole(g, doc)).as(doc).isTrue();
        assertThat(whole(g, doc.substring(0, doc.length() - 1))).as("one byte short").isFalse();
    }

    @Test
    void the_first_byte_no_instance_allows_is_refused() {
        OutputGrammar g = schema(PERSON);
        assertThat(acceptedPrefix(g, "{\"age\": 1}")).as("properties come in the schema's order").isEqualTo(2);
        assertThat(acceptedPrefix(g, "{\"name\": \"a\"}")).as("age is required").isEqualTo(12);
        assertThat(acceptedPrefix(g, "{\"name\":\"a\"")).as("one layout: a space after the colon").isEqualTo(8);
        assertThat(acceptedPrefix(g, "{\"name\": \"123456789\"")).as("maxLength 8").isEqualTo(18);
        assertThat(acceptedPrefix(g, "{\"name\": \"a\", \"age\": 151")).as("maximum 150").isEqualTo(23);
        assertThat(acceptedPrefix(g, "{\"name\": \"a\", \"age\": -1")).as("minimum 0").isEqualTo(21);
        assertThat(acceptedPrefix(g, "{\"name\": \"a\", \"age\": 01")).as("no leading zeros").isEqualTo(22);
        assertThat(acceptedPrefix(g, "{\"name\": \"a\", \"age\": 1, \"tags\": []")).as("minItems 1").isEqualTo(33);
        assertThat(acceptedPrefix(g, "{\"name\": \"a\", \"age\": 1, \"tags\": [\"c\"")).as("enum").isEqualTo(34);
        assertThat(acceptedPrefix(g, "{\"name\": \"a\", \"age\": 1, \"tags\": [3, 3, 3")).as("maxItems 2")
                .isEqualTo(37);
        assertThat(acceptedPrefix(g, "{\"name\": \"a\", \"age\": 1, \"x\": 1}")).as("no unlisted properties")
                .isEqualTo(25);
        assertThat(acceptedPrefix(g, "{\"name\": \"a\nb\"")).as("no raw control characters").isEqualTo(11);
    }

    @Test
    void each_construct_accepts_its_instances_and_refuses_the_rest() throws Exception {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        String defs = """
                {"$defs": {"point": {"type": "object", "properties": {"x": {"type": "number"},
                  "y": {"type": "number"}}, "required": ["x", "y"], "additionalProperties": false}},
                 "type": "object", "properties": {
                   "at": {"$ref": "#/$defs/point"},
                   "kind": {"const": "circle"},
                   "r": {"anyOf": [{"type": "integer", "exclusiveMinimum": 0}, {"type": "null"}]},
                   "when": {"type": "string", "format": "date-time"},
                   "id": {"type": "string", "format": "uuid"},
                   "mail": {"type": "string", "format": "email"},
                   "meta": {}},
                 "required": ["at", "kind", "r", "when", "id", "mail", "meta"]}""";
        OutputGrammar g = schema(defs);
        String doc = "{\"at\": {\"x\": -1.5e3, \"y\": 0}, \"kind\": \"circle\", \"r\": 2, "
                + "\"when\": \"2026-12-04T05:00:00Z\", \"id\": \"123e4567-e89b-12d3-a456-426614174000\", "
                + "\"mail\": \"ada.l+x@math.example.org\", \"meta\": {\"free\": [1, \"a\"]}}";
        assertThat(whole(g, doc)).isTrue();
        assertThat(whole(g, doc.replace("2026-12-04", "2026-13-04"))).as("no 13th month").isFalse();
        assertThat(whole(g, doc.replace("ada.l+x@", "ada@@"))).as("one @").isFalse();
        assertThat(acceptedPrefix(g, doc.replace("[1, ", "[[1], "))).as("a free value nests %d deep",
                SchemaCompiler.FREE_DEPTH).isEqualTo(doc.indexOf("[1, ") + 1);
        assertThat(acceptedPrefix(g, "{\"at\": {\"x\": 1, \"y\": 2}, \"kind\": \"circle\", \"r\": 0"))
                .as("exclusiveMinimum 0").isEqualTo(48);
        assertThat(acceptedPrefix(g, "{\"at\": {\"x\": 1, \"y\": 2}, \"kind\": \"square\""))
                .as("const").isEqualTo(34);
        assertThat(whole(schema("{\"type\": \"array\", \"items\": {\"type\": \"boolean\"}}"), "[true, false]"))
                .isTrue();
        assertThat(json.readTree("[true, false]").isArray()).isTrue();
    }

    @Test
    void an_object_holds_its_listed_properties_only_unless_it_lists_none_or_opens_itself() {
        String free = "{\"any\": [1]}";
        assertThat(whole(schema("{\"type\": \"object\"}"), free)).as("no properties listed: any object").isTrue();
        assertThat(whole(schema("{\"type\": \"object\", \"properties\": {}}"), free))
                .as("properties: {} (a tool without arguments) lists none").isFalse();
        assertThat(whole(schema("{\"type\": \"object\", \"properties\": {}}"), "{}")).isTrue();
        assertThat(whole(schema("{\"type\": \"object\", \"properties\": {}, \"additionalProperties\": true}"),
                free)).as("opened explicitly").isTrue();
        assertThat(whole(schema("{\"type\": \"object\", \"additionalProperties\": false}"), free)).isFalse();
        assertThat(whole(schema("{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"integer\"}}}"),
                "{\"a\": 1, \"b\": 2}")).as("listed properties only").isFalse();
    }

    @Test
    void every_number_written_is_a_finite_double() {
        OutputGrammar number = schema("{\"type\": \"number\"}");
        assertThat(whole(number, "-1.5e99")).isTrue();
        assertThat(whole(number, "9999999999999999.9999999999999999E+99")).isTrue();
        assertThat(acceptedPrefix(number, "2.1E999")).as("a third exponent digit could overflow").isEqualTo(6);
    }

    @Test
    void nullable_as_openais_sdks_write_it_also_allows_null() {
        OutputGrammar g = schema("{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"string\", \"nullable\": true},"
                + " \"b\": {\"type\": \"integer\", \"nullable\": false}}, \"required\": [\"a\", \"b\"]}");

        assertThat(whole(g, "{\"a\": null, \"b\": 1}")).isTrue();
        assertThat(whole(g, "{\"a\": \"x\", \"b\": 1}")).isTrue();
        assertThat(whole(g, "{\"a\": \"x\", \"b\": null}")).as("nullable false").isFalse();
        assertThatThrownBy(() -> schema("{\"type\": \"string\", \"nullable\": \"yes\"}"))
                .hasMessageContaining("nullable");
    }

    @Test
    void a_formats_values_also_keep_the_string_lengths_and_calendar_dates_are_real_ones() {
        OutputGrammar email = schema("{\"type\": \"string\", \"format\": \"email\", \"maxLength\": 12}");
        OutputGrammar date = schema("{\"type\": \"string\", \"format\": \"date\"}");

        assertThat(whole(email, "\"a.b@cd.io\"")).isTrue();
        assertThat(whole(email, "\"abcdefgh@cd.io\"")).as("14 characters").isFalse();
        assertThat(whole(email, "\".a@cd.io\"")).as("a leading dot").isFalse();
        assertThat(whole(email, "\"a..b@cd.io\"")).as("a double dot").isFalse();
        assertThatThrownBy(() -> schema("{\"type\": \"string\", \"format\": \"date\", \"maxLength\": 5}"))
                .hasMessageContaining("no date string has minLength 0 and maxLength 5");
        for (String ok : List.of("2023-11-30", "2024-02-29", "2000-02-29", "2023-12-31", "0000-02-29")) {
            assertThat(whole(date, "\"" + ok + "\"")).as(ok).isTrue();
        }
        for (String impossible : List.of("2023-11-31", "2023-02-29", "1900-02-29", "2023-04-31", "2023-02-30")) {
            assertThat(whole(date, "\"" + impossible + "\"")).as(impossible).isFalse();
        }
    }

    @Test
    void a_formats_length_limits_compile_at_once_or_are_refused_at_once_never_taking_seconds() {
        for (String schema : List.of("\"format\": \"email\", \"maxLength\": 254",
                "\"format\": \"hostname\", \"maxLength\": 300", "\"format\": \"email\", \"maxLength\": 40",
                "\"format\": \"uri\", \"minLength\": 30", "\"format\": \"uri\", \"maxLength\": 200")) {
            long t0 = System.nanoTime();
            try {
                schema("{\"type\": \"string\", " + schema + "}");
            } catch (GrammarException tooComplex) {
                assertThat(tooComplex).hasMessageContaining("too complex");
            }
            assertThat((System.nanoTime() - t0) / 1e9).as(schema).isLessThan(20); // was 7-513 s
        }
    }

    @Test
    void bounds_beyond_32_bits_hold_up_to_16_digits_as_timestamps_and_javascripts_safe_integers_need() {
        OutputGrammar millis = schema("{\"type\": \"integer\", \"minimum\": 1600000000000, \"maximum\": 1900000000000}");
        OutputGrammar safe = schema("{\"type\": \"integer\", \"minimum\": -9007199254740991, "
                + "\"maximum\": 9007199254740991}");
        OutputGrammar after = schema("{\"type\": \"number\", \"minimum\": 1600000000000}");

        assertThat(whole(millis, "1700000000000")).isTrue();
        assertThat(whole(millis, "2147483646")).isFalse();
        assertThat(whole(millis, "1900000000001")).isFalse();
        assertThat(whole(safe, "9007199254740991")).isTrue();
        assertThat(whole(safe, "-1700000000000")).isTrue();
        assertThat(whole(safe, "9007199254740992")).isFalse();
        assertThat(whole(after, "1600000000000.5")).isTrue();
        assertThat(whole(after, "2147483646.0")).isFalse();
        assertThatThrownBy(() -> schema("{\"type\": \"integer\", \"minimum\": 100000000000000000}"))
                .hasMessageContaining("more than 16 digits");
        assertThatThrownBy(() -> schema("{\"type\": \"number\", \"minimum\": 1e400}")).as("beyond a double")
                .isInstanceOf(GrammarException.class).hasMessageContaining("more than 16 digits");
        assertThat(whole(schema("{\"type\": \"number\", \"maximum\": 1e400}"), "12.5")).isTrue();
        OutputGrammar literals = schema("{\"enum\": [2.50, 1e5]}");
        assertThat(whole(literals, "2.5")).as("a literal written as Python writes the double").isTrue();
        assertThat(whole(literals, "100000.0")).isTrue();
        OutputGrammar exact = schema("{\"type\": \"integer\", \"minimum\": 9999999999999998.5}");
        assertThat(whole(exact, "9999999999999998")).as("read exactly, not as a double").isFalse();
        assertThat(whole(exact, "9999999999999999")).isTrue();
    }

    /** Bounded numbers: every decimal the schema allows, and none it does not, over a grid around the bounds. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "\"minimum\": 0, \"maximum\": 1",
            "\"exclusiveMinimum\": 0, \"maximum\": 1",
            "\"minimum\": -2, \"exclusiveMaximum\": 3",
            "\"exclusiveMinimum\": -3, \"exclusiveMaximum\": -1",
            "\"minimum\": 2",
            "\"maximum\": -1",
            "\"exclusiveMaximum\": 0"})
    void bounded_numbers_are_exactly_those_within_the_bounds(String bounds) throws Exception {
        var node = new com.fasterxml.jackson.databind.ObjectMapper().readTree("{" + bounds + "}");
        OutputGrammar g = schema("{\"type\": \"number\", " + bounds + "}");
        for (String text : List.of("-4", "-3", "-3.0", "-2.999", "-2", "-2.5", "-1", "-1.0", "-0.5", "-0.25", "0", "0.0",
                "0.001", "0.5", "1", "1.00", "1.01", "2", "2.0", "2.75", "3", "3.0", "3.5", "10", "1e2", "01")) {
            double x = Double.parseDouble(text);
            boolean allowed = !text.contains("e") && !text.startsWith("01")
                    && (!node.has("minimum") || x >= node.get("minimum").asDouble())
                    && (!node.has("exclusiveMinimum") || x > node.get("exclusiveMinimum").asDouble())
                    && (!node.has("maximum") || x <= node.get("maximum").asDouble())
                    && (!node.has("exclusiveMaximum") || x < node.get("exclusiveMaximum").asDouble());
            assertThat(whole(g, text)).as("%s under %s", text, bounds).isEqualTo(allowed);
        }
    }

    @Test
    void optional_properties_may_be_left_out_in_any_combination_but_keep_their_order() {
        OutputGrammar g = schema("""
                {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"},
                 "c": {"type": "integer"}}, "required": ["b"]}""");
        for (String doc : List.of("{\"b\": 1}", "{\"a\": 1, \"b\": 2}", "{\"b\": 2, \"c\": 3}",
                "{\"a\": 1, \"b\": 2, \"c\": 3}")) {
            assertThat(whole(g, doc)).as(doc).isTrue();
        }
        assertThat(whole(g, "{}")).isFalse();
        assertThat(whole(g, "{\"a\": 1}")).isFalse();
        OutputGrammar none = schema("{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"null\"}}}");
        assertThat(whole(none, "{}")).isTrue();
        assertThat(whole(none, "{\"a\": null}")).isTrue();
    }

    @Test
    void a_choice_is_exactly_one_of_its_strings() {
        OutputGrammar g = OutputGrammar.choice(List.of("positive", "negative", "neutral"), "guided_choice");
        g.compile();
        assertThat(whole(g, "negative")).isTrue();
        assertThat(whole(g, "neg")).isFalse();
        assertThat(acceptedPrefix(g, "nexus")).isEqualTo(2);
        assertThat(acceptedPrefix(g, "positive!")).isEqualTo(8);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"type\": \"string\", \"pattern\": \"(?=a)\"}                        | lookaround",
            "{\"type\": \"string\", \"pattern\": \"^\\\"+$\"}                       | no string without JSON escapes",
            "{\"type\": \"object\", \"minProperties\": 1}                          | keyword 'minProperties'",
            "{\"type\": \"string\", \"format\": \"ipv6\"}                          | format 'ipv6'",
            "{\"type\": \"number\", \"minimum\": 0.5}                              | whole number",
            "{\"type\": \"array\", \"uniqueItems\": true}                          | uniqueItems",
            "{\"type\": \"object\", \"properties\": {}, \"required\": [\"x\"]}     | required property \"x\"",
            "{\"$defs\": {\"n\": {\"type\": \"array\", \"items\": {\"$ref\": \"#/$defs/n\"}}}, \"$ref\": \"#/$defs/n\"} | recursive $ref",
            "{\"$ref\": \"#/$defs/missing\"}                                   | points nowhere",
            "{\"type\": \"integer\", \"minimum\": 5, \"maximum\": 4}               | no integer",
            "{\"type\": \"str\"}                                               | unknown type 'str'",
            "[1]                                                             | must be an object",
            "{\"type\": \"object\"                                             | not valid JSON",
            "false                                                           | allows no output"})
    void what_is_not_served_is_refused_by_name(String json, String message) {
        assertThatThrownBy(() -> schema(json)).isInstanceOf(GrammarException.class).hasMessageContaining(message.strip());
    }

    @Test
    void a_schema_that_would_take_long_to_compile_is_refused_at_once() {
        StringBuilder props = new StringBuilder();
        for (int i = 0; i < 64; i++) {
            props.append(i == 0 ? "" : ", ").append("\"p").append(i).append("\": {\"type\": \"string\", \"maxLength\": 512}");
        }
        String optional = "{\"type\": \"object\", \"properties\": {" + props + "}}";
        String nested = "{\"type\": \"array\", \"maxItems\": 64, \"items\": {\"type\": \"array\", \"maxItems\": 64, "
                + "\"items\": {\"type\": \"string\", \"maxLength\": 512}}}";
        // a $ref used 64 times at each of three levels: 64^3 booleans (charged nothing before, it ran for 4 minutes)
        StringBuilder leaves = new StringBuilder();
        for (int i = 0; i < 64; i++) {
            leaves.append(i == 0 ? "" : ", ").append("\"b").append(i).append("\": {\"type\": \"boolean\"}");
        }
        String level = "{\"type\": \"object\", \"properties\": {%s}}";
        String refs = IntStream.range(0, 64).mapToObj(i -> "\"r" + i + "\": {\"$ref\": \"#/$defs/%s\"}")
                .collect(java.util.stream.Collectors.joining(", "));
        String tree = "{\"$defs\": {\"leaf\": " + level.formatted(leaves) + ", \"mid\": " + level.formatted(refs.formatted(
                java.util.Collections.nCopies(64, "leaf").toArray())) + "}, \"type\": \"object\", \"properties\": {"
                + refs.formatted(java.util.Collections.nCopies(64, "mid").toArray()) + "}}";
        for (String schema : List.of(optional, nested, tree)) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> schema(schema)).isInstanceOf(GrammarException.class).hasMessageContaining("too complex");
            assertThat((System.nanoTime() - start) / 1e9).as("seconds to refuse").isLessThan(10);
        }
    }

    @Test
    void an_object_of_sixty_four_optional_properties_compiles_and_takes_any_subset_in_order() {
        StringBuilder props = new StringBuilder();
        for (int i = 0; i < 64; i++) {
            props.append(i == 0 ? "" : ", ").append("\"p").append(i).append("\": {\"type\": \"integer\"}");
        }
        OutputGrammar g = schema("{\"type\": \"object\", \"properties\": {" + props + "}}");

        assertThat(whole(g, "{\"p0\": 1, \"p17\": -2, \"p63\": 30}")).isTrue();
        assertThat(whole(g, "{}")).isTrue();
        assertThat(whole(g, "{\"p17\": 1, \"p0\": 2}")).as("out of order").isFalse();
    }

    @Test
    void one_schema_text_compiles_once_and_shares_its_grammar() {
        assertThat(OutputGrammar.jsonSchema(PERSON, "response_format"))
                .isSameAs(OutputGrammar.jsonSchema(PERSON, "response_format"));
        assertThatThrownBy(() -> OutputGrammar.jsonSchema(" ".repeat(Grammars.MAX_SCHEMA_CHARS + 1), "guided_json"))
                .hasMessageContaining("at most " + Grammars.MAX_SCHEMA_CHARS);
    }

    @Test
    void a_token_mask_allows_what_the_state_accepts_and_eos_once_complete() {
        byte[][] vocab = {"{\"".getBytes(StandardCharsets.UTF_8), "a".getBytes(StandardCharsets.UTF_8),
                "\": ".getBytes(StandardCharsets.UTF_8), "1".getBytes(StandardCharsets.UTF_8),
                "}".getBytes(StandardCharsets.UTF_8), null};
        TokenMask masks = new TokenMask(vocab, new int[] {5});
        OutputGrammar g = schema("{\"type\": \"object\", \"properties\": {\"a\": {\"const\": 1}}, \"required\": [\"a\"]}");
        GrammarState s = g.start();
        assertThat(masks.allowed(g, s)).containsExactly(true, false, false, false, false, false);
        s.acceptAll("{\"a\": 1".getBytes(StandardCharsets.UTF_8));
        assertThat(masks.allowed(g, s)).containsExactly(false, false, false, false, true, false);
        s.acceptAll("}".getBytes(StandardCharsets.UTF_8));
        assertThat(masks.allowed(g, s)).as("only EOS after the end").containsExactly(false, false, false, false,
                false, true);
    }
}
