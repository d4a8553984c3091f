package dev.specserve.controller.cli;

import dev.specserve.runtime.grammar.OutputGrammar;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Structured output for the CLI's own generations: the constraints the APIs take, one at most. */
final class ConstraintOptions {
    @Option(names = "--json-mode", description = "OpenAI's JSON mode (response_format json_object): the output is a "
            + "JSON object, each tree row masked by its own path.")
    boolean jsonMode;

    @Option(names = "--json-schema", paramLabel = "FILE", description = "The output is an instance of this JSON schema "
            + "(response_format json_schema).")
    Path jsonSchema;

    @Option(names = "--regex", paramLabel = "RE", description = "The output matches this regular expression in full "
            + "(vLLM's guided_regex).")
    String regex;

    @Option(names = "--choice", paramLabel = "TEXT", description = "The output is one of these strings (vLLM's "
            + "guided_choice); repeatable.")
    List<String> choices = new ArrayList<>();

    /** The constraint asked for, compiled, or null for none. */
    OutputGrammar grammar() throws IOException {
        int asked = (jsonMode ? 1 : 0) + (jsonSchema != null ? 1 : 0) + (regex != null ? 1 : 0)
                + (choices.isEmpty() ? 0 : 1);
        if (asked > 1) {
            throw new IllegalArgumentException("--json-mode, --json-schema, --regex and --choice exclude each other");
        }
        OutputFiles.checkReadable("--json-schema", jsonSchema);
        OutputGrammar g = jsonMode ? OutputGrammar.jsonObject()
                : jsonSchema != null ? OutputGrammar.jsonSchema(Files.readString(jsonSchema), "--json-schema")
                : regex != null ? OutputGrammar.regex(regex, "--regex")
                : !choices.isEmpty() ? OutputGrammar.choice(choices, "--choice") : null;
        if (g != null) {
            g.compile();
        }
        return g;
    }

    /** How the constraint reads in progress output: "" for none. */
    String describe() {
        return jsonMode ? ", JSON mode" : jsonSchema != null ? ", JSON schema " + jsonSchema
                : regex != null ? ", regex " + regex : !choices.isEmpty() ? ", choice of " + choices.size() : "";
    }

    /** For results files: "none", "json_object", the schema's path, "regex:RE" or "choice". */
    String name() {
        return jsonMode ? "json_object" : jsonSchema != null ? jsonSchema.toString()
                : regex != null ? "regex:" + regex : !choices.isEmpty() ? "choice" : "none";
    }
}
