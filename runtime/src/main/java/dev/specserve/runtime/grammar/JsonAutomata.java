package dev.specserve.runtime.grammar;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dk.brics.automaton.Automaton;
import dk.brics.automaton.State;
import dk.brics.automaton.Transition;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Byte automata for the pieces of JSON text: every char of these automata stands for the byte of the same number
 * (0-255), so multi-byte UTF-8 is spelt out byte by byte. Values are laid out in one canonical way: no whitespace but
 * one space after each {@code ,} and {@code :} ({@code {"a": 1, "b": [true, null]}}, Python's {@code json.dumps}).
 */
final class JsonAutomata {
    /**
     * Digits an integer or a fraction may have, and an exponent: bounded so that no number runs on forever, and every
     * number is a finite double (at most 16 digits times 10^99), which parsers that refuse overflow or read it as
     * infinity (Python, Go, serde) all take.
     */
    static final int MAX_DIGITS = 16;
    static final int MAX_EXPONENT_DIGITS = 2;

    private JsonAutomata() {}

    /** The bytes of {@code text} in UTF-8, one char each. */
    static Automaton literal(String text) {
        return Automaton.makeString(new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1));
    }

    static Automaton range(char from, char to) {
        return Automaton.makeCharRange(from, to);
    }

    static Automaton concat(Automaton... parts) {
        return Automaton.concatenate(List.of(parts));
    }

    static Automaton union(List<Automaton> parts) {
        return parts.isEmpty() ? Automaton.makeEmpty() : Automaton.union(parts);
    }

    /** One character of a JSON string's content: an unescaped printable, an escape, or a whole UTF-8 sequence. */
    static Automaton stringChar() {
        Automaton ascii = union(List.of(range(' ', '!'), range('#', '['), range(']', (char) 0x7f)));
        Automaton hex = union(List.of(range('0', '9'), range('a', 'f'), range('A', 'F')));
        Automaton escape = literal("\\").concatenate(union(List.of(Automaton.makeCharSet("\"\\/bfnrt"),
                literal("u").concatenate(hex.repeat(4, 4)))));
        return union(List.of(ascii, escape, multibyte()));
    }

    /** One character that a JSON string holds as it is, unescaped: printable, not a quote or a backslash. */
    static Automaton plainChar() {
        return union(List.of(range(' ', '!'), range('#', '['), range(']', (char) 0x7f), multibyte()));
    }

    /** One character beyond ASCII, as its UTF-8 bytes (a lead byte and its continuation bytes). */
    static Automaton multibyte() {
        Automaton cont = range((char) 0x80, (char) 0xbf);
        return union(List.of(range((char) 0xc2, (char) 0xdf).concatenate(cont),
                range((char) 0xe0, (char) 0xef).concatenate(cont.repeat(2, 2)),
                range((char) 0xf0, (char) 0xf4).concatenate(cont.repeat(3, 3))));
    }

    /** A JSON string of {@code min} to {@code max} characters ({@code max} &lt; 0: unbounded). */
    static Automaton string(int min, int max) {
        return concat(literal("\""), repeatChars(stringChar(), min, max), literal("\""));
    }

    /**
     * {@code min} to {@code max} ({@code max} &lt; 0: any number from {@code min}) characters of {@code chars}, an
     * automaton of single characters, built deterministic from the start: one copy of its states per position.
     * (The library's bounded repeat nests optional copies, and determinizing that took seconds for 512.)
     */
    static Automaton repeatChars(Automaton chars, int min, int max) {
        Automaton c = chars.clone();
        c.minimize();
        List<State> states = new ArrayList<>(c.getStates());
        Map<State, Integer> index = new HashMap<>();
        for (int i = 0; i < states.size(); i++) {
            index.put(states.get(i), i);
        }
        int start = index.get(c.getInitialState());
        int layers = (max < 0 ? min : max) + 1;
        State[][] copy = new State[layers][states.size()];
        for (State[] layer : copy) {
            for (int i = 0; i < layer.length; i++) {
                layer[i] = new State();
            }
        }
        for (int k = 0; k < layers; k++) {
            boolean last = k + 1 == layers;
            for (int i = 0; i < states.size(); i++) {
                for (Transition t : states.get(i).getTransitions()) {
                    State dest = t.getDest();
                    State to;
                    if (dest.isAccept()) { // a character ends: the next position
                        to = !last ? copy[k + 1][start] : max < 0 ? copy[k][start] : null;
                    } else {
                        to = copy[k][index.get(dest)];
                    }
                    if (to != null) {
                        copy[k][i].addTransition(new Transition(t.getMin(), t.getMax(), to));
                    }
                }
            }
            copy[k][start].setAccept(k >= min);
        }
        Automaton a = new Automaton();
        a.setInitialState(copy[0][start]);
        a.setDeterministic(true);
        return a;
    }

    /** A string whose content is {@code content} (ASCII patterns such as a date), in quotes. */
    static Automaton quoted(Automaton content) {
        return concat(literal("\""), content, literal("\""));
    }

    static Automaton digits(int min, int max) {
        return range('0', '9').repeat(min, max);
    }

    /** An integer without leading zeros, of at most {@value #MAX_DIGITS} digits. */
    static Automaton integer() {
        Automaton natural = union(List.of(literal("0"), range('1', '9').concatenate(digits(0, MAX_DIGITS - 1))));
        return literal("-").optional().concatenate(natural);
    }

    /** A JSON number: an integer part, an optional fraction and an optional exponent, each bounded. */
    static Automaton number() {
        Automaton fraction = literal(".").concatenate(digits(1, MAX_DIGITS)).optional();
        Automaton exponent = concat(Automaton.makeCharSet("eE"), Automaton.makeCharSet("+-").optional(),
                digits(1, MAX_EXPONENT_DIGITS)).optional();
        return concat(integer(), fraction, exponent);
    }

    static Automaton bool() {
        return union(List.of(literal("true"), literal("false")));
    }

    /** {@code [item, item, ...]} with {@code min} to {@code max} items ({@code max} &lt; 0: unbounded). */
    static Automaton array(Automaton item, int min, int max) {
        return concat(literal("["), list(item, min, max), literal("]"));
    }

    /** {@code item, item, ...}: {@code min} to {@code max} items. */
    static Automaton list(Automaton item, int min, int max) {
        Automaton more = literal(", ").concatenate(item);
        if (max == 0) {
            return Automaton.makeEmptyString();
        }
        Automaton nonEmpty = item.concatenate(max < 0 ? more.repeat(Math.max(0, min - 1))
                : more.repeat(Math.max(0, min - 1), max - 1));
        return min == 0 ? nonEmpty.optional() : nonEmpty;
    }

    /** An object whose members are any keys with values of {@code value}. */
    static Automaton map(Automaton value) {
        Automaton member = concat(string(0, -1), literal(": "), value);
        return concat(literal("{"), list(member, 0, -1), literal("}"));
    }

    /** Any JSON value, containers nested at most {@code depth} deep (so the language stays regular). */
    static Automaton anyValue(int depth) {
        List<Automaton> parts = new ArrayList<>(List.of(string(0, -1), number(), bool(), literal("null")));
        if (depth > 0) {
            Automaton inner = anyValue(depth - 1);
            parts.add(array(inner, 0, -1));
            parts.add(map(inner));
        }
        Automaton a = union(parts);
        a.minimize();
        return a;
    }

    /** {@code v} (a schema's const or enum value) as this layout writes it. */
    static Automaton value(JsonNode v) {
        return literal(canonical(v));
    }

    /** An object key and its separator: {@code "name": }. */
    static Automaton key(String name) {
        return literal(canonical(TextNode.valueOf(name)) + ": ");
    }

    /** {@code v} as this grammar writes it: no whitespace but one space after each ',' and ':'. */
    private static String canonical(JsonNode v) {
        if (v.isObject()) {
            StringBuilder sb = new StringBuilder("{");
            for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                sb.append(canonical(TextNode.valueOf(e.getKey()))).append(": ")
                        .append(canonical(e.getValue()));
                if (it.hasNext()) {
                    sb.append(", ");
                }
            }
            return sb.append('}').toString();
        }
        if (v.isArray()) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < v.size(); i++) {
                sb.append(i == 0 ? "" : ", ").append(canonical(v.get(i)));
            }
            return sb.append(']').toString();
        }
        if (v.isBigDecimal()) { // schemas are read with exact fractions; a literal is written as a double, as Python does
            return com.fasterxml.jackson.databind.node.DoubleNode.valueOf(v.doubleValue()).toString();
        }
        return v.toString();
    }
}
