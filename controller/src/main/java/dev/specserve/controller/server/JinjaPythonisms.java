package dev.specserve.controller.server;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.filter.Filter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Jinja2 behaviour chat templates rely on that Jinjava's differs from: strings are {@code iterable} (Llama 3.x
 * passes a tool result that is a string to {@code tojson} because of it, so Hugging Face renders it quoted), and
 * the {@code items} filter (Jinja 3.1: a mapping's key-value pairs, which Hermes-style templates loop over), and
 * transformers' {@code {% generation %}} block (it marks the assistant's tokens for training masks; rendering
 * writes its body as it is, and SmolLM3-style templates fail to compile without it).
 */
final class JinjaPythonisms {
    private JinjaPythonisms() {}

    /** {@code x is iterable}: what Python can iterate, strings and mappings included. */
    static final class IsIterable implements ExpTest {
        @Override
        public String getName() {
            return "iterable";
        }

        @Override
        public boolean evaluate(Object var, JinjavaInterpreter interpreter, Object... args) {
            return var instanceof CharSequence || var instanceof Iterable<?> || var instanceof Map<?, ?>
                    || var != null && var.getClass().isArray();
        }
    }

    /** {@code d|items}: the mapping's {@code [key, value]} pairs in its order; nothing for anything else. */
    static final class Items implements Filter {
        @Override
        public String getName() {
            return "items";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            List<List<Object>> pairs = new ArrayList<>();
            if (var instanceof Map<?, ?> m) {
                m.forEach((k, v) -> pairs.add(java.util.Arrays.asList(k, v)));
            }
            return pairs;
        }
    }

    /** {@code {% generation %}...{% endgeneration %}}: its body, rendered as if the tags were not there. */
    static final class Generation implements com.hubspot.jinjava.lib.tag.Tag {
        @Override
        public String getName() {
            return "generation";
        }

        @Override
        public String getEndTagName() {
            return "endgeneration";
        }

        @Override
        public String interpret(com.hubspot.jinjava.tree.TagNode tagNode, JinjavaInterpreter interpreter) {
            StringBuilder out = new StringBuilder();
            for (com.hubspot.jinjava.tree.Node child : tagNode.getChildren()) {
                out.append(child.render(interpreter).getValue());
            }
            return out.toString();
        }
    }
}
