package dev.specserve.runtime.grammar;

import static dev.specserve.runtime.grammar.JsonAutomata.literal;
import static dev.specserve.runtime.grammar.JsonAutomata.range;
import static dev.specserve.runtime.grammar.JsonAutomata.union;

import dk.brics.automaton.Automaton;
import java.util.ArrayList;
import java.util.List;

/**
 * A regular expression in the common syntax of Python's {@code re} and ECMAScript (what vLLM's {@code guided_regex}
 * and JSON Schema's {@code pattern} take) as a byte automaton of the UTF-8 texts it matches in full: literals and
 * escapes, {@code .}, classes ({@code [a-z_]}, {@code [^"]}, {@code \d \w \s} and their negations), groups
 * ({@code (...)}, {@code (?:...)}, {@code (?P<name>...)}), alternation and the quantifiers {@code * + ? {n} {n,}
 * {n,m}} (lazy ones match the same texts). {@code ^} and {@code $} are allowed at the ends of a branch only. Backreferences,
 * lookaround, flags and non-ASCII ranges in classes are refused, naming them.
 */
final class RegexAutomata {
    /** Largest bound of a counted repeat. */
    static final int MAX_REPEAT = 1024;
    /** Deepest nesting of groups: the parser recurses per group, and a thread's stack is bounded. */
    static final int MAX_DEPTH = 64;
    /**
     * Most automaton states a regex may build, counting every copy, checked before each repeat and each piece of a
     * sequence or alternation is built: nested
     * counted repeats multiply ({@code (?:(?:a{1024}){1024}){1024}} is 10^9 states), and a build that size filled
     * the heap before the matcher's own bound ({@link DfaGrammar#MAX_STATES}, on the determinised result) could
     * refuse it. A regex this large would not determinise within that bound anyway.
     */
    static final long MAX_STATES = DfaGrammar.MAX_STATES;

    private final String re;
    private int at;
    private int depth;
    /** States built so far, counting every copy a repeat, sequence or alternation makes. */
    private long built;

    private RegexAutomata(String re) {
        this.re = re;
    }

    /** The texts {@code regex} matches in full. */
    static Automaton compile(String regex) {
        RegexAutomata p = new RegexAutomata(regex);
        Automaton a = p.alternation();
        if (p.at < regex.length()) {
            throw p.error(regex.charAt(p.at) == ')' ? "an unbalanced ')'" : "'" + regex.charAt(p.at) + "'");
        }
        return a;
    }

    /** Counts {@code states} about to be built; refuses, before building, once the total passes {@link #MAX_STATES}. */
    private void charge(long states, String what) {
        built += states;
        if (built > MAX_STATES) {
            throw new GrammarException("regex " + quoted() + " is too large: by the " + what + " ending at position "
                    + at + " it would build about " + built + " automaton states (at most " + MAX_STATES + "); "
                    + "nested repeats multiply");
        }
    }

    private GrammarException error(String what) {
        return new GrammarException("regex " + quoted() + ": " + what + " at position " + at + " is not supported");
    }

    private String quoted() {
        return "'" + (re.length() > 80 ? re.substring(0, 80) + "..." : re) + "'";
    }

    private boolean peek(char c) {
        return at < re.length() && re.charAt(at) == c;
    }

    private Automaton alternation() {
        List<Automaton> alternatives = new ArrayList<>();
        alternatives.add(sequence());
        while (peek('|')) {
            at++;
            alternatives.add(sequence());
            charge(alternatives.get(alternatives.size() - 1).getNumberOfStates(), "alternation"); // the union copies it
        }
        return union(alternatives);
    }

    /** A branch; an anchor at its start or end changes nothing, since the whole text must match anyway. */
    private Automaton sequence() {
        List<Automaton> parts = new ArrayList<>();
        if (peek('^')) {
            at++;
        }
        while (at < re.length() && !peek('|') && !peek(')')) {
            if (peek('$') && (at + 1 == re.length() || re.charAt(at + 1) == '|' || re.charAt(at + 1) == ')')) {
                at++;
                break;
            }
            parts.add(quantified(atom()));
            charge(parts.get(parts.size() - 1).getNumberOfStates(), "sequence"); // the concatenation copies it
        }
        return parts.isEmpty() ? Automaton.makeEmptyString() : Automaton.concatenate(parts);
    }

    private Automaton quantified(Automaton a) {
        while (at < re.length()) {
            char c = re.charAt(at);
            if (c == '*' || c == '+' || c == '?') {
                at++;
                charge((c == '+' ? 2L : 1L) * a.getNumberOfStates() + 1, "repeat"); // '+' is a copy and a star
                a = c == '*' ? a.repeat() : c == '+' ? a.repeat(1) : a.optional();
            } else if (c == '{' && counted()) {
                int[] bounds = bounds();
                charge((long) a.getNumberOfStates() * (Math.max(bounds[0], bounds[1]) + 1), "repeat");
                a = bounds[1] < 0 ? a.repeat(bounds[0]) : a.repeat(bounds[0], bounds[1]);
            } else {
                return a;
            }
            if (peek('?')) {
                at++; // lazy: the same texts
            } else if (peek('+')) {
                throw error("a possessive quantifier");
            }
        }
        return a;
    }

    /** True when a '{' here starts a counted repeat ({@code {n}}, {@code {n,}}, {@code {n,m}}), not a literal. */
    private boolean counted() {
        int close = re.indexOf('}', at);
        return close > at + 1 && re.substring(at + 1, close).matches("\\d+(,\\d*)?");
    }

    private int[] bounds() {
        int close = re.indexOf('}', at);
        String[] parts = re.substring(at + 1, close).split(",", -1);
        at = close + 1;
        int min = Integer.parseInt(parts[0]);
        int max = parts.length == 1 ? min : parts[1].isEmpty() ? -1 : Integer.parseInt(parts[1]);
        if (min > MAX_REPEAT || max > MAX_REPEAT || (max >= 0 && max < min)) {
            throw new GrammarException("regex " + quoted() + ": a repeat of {" + min + "," + (max < 0 ? "" : max)
                    + "} is not supported (bounds at most " + MAX_REPEAT + ", min <= max)");
        }
        return new int[] {min, max};
    }

    private Automaton atom() {
        char c = re.charAt(at);
        switch (c) {
            case '(' -> {
                at++;
                if (peek('?')) {
                    if (re.startsWith("?:", at)) {
                        at += 2;
                    } else if (re.startsWith("?P<", at) || re.startsWith("?<", at) && !re.startsWith("?<=", at)
                            && !re.startsWith("?<!", at)) {
                        int close = re.indexOf('>', at);
                        if (close < 0) {
                            throw error("an unterminated group name");
                        }
                        at = close + 1;
                    } else {
                        throw error("'(?" + (at + 1 < re.length() ? re.charAt(at + 1) : "") + "' (lookaround or flags)");
                    }
                }
                if (++depth > MAX_DEPTH) {
                    throw new GrammarException("regex " + quoted() + ": groups nested deeper than " + MAX_DEPTH
                            + " at position " + at + " are not supported");
                }
                Automaton inner = alternation();
                if (!peek(')')) {
                    throw error("a missing ')'");
                }
                at++;
                depth--;
                return inner;
            }
            case '[' -> {
                return charClass();
            }
            case '.' -> {
                at++;
                return anyChar().minus(literal("\n"));
            }
            case '\\' -> {
                return escape(false);
            }
            case '^', '$' -> throw error("'" + c + "' inside the pattern");
            case '*', '+', '?' -> throw error("a quantifier with nothing to repeat");
            default -> {
                int cp = re.codePointAt(at);
                at += Character.charCount(cp);
                return literal(new String(Character.toChars(cp)));
            }
        }
    }

    /** An escape at {@code at} (on the backslash): a class or one character. */
    private Automaton escape(boolean inClass) {
        at++;
        if (at >= re.length()) {
            throw error("a trailing backslash");
        }
        char e = re.charAt(at++);
        return switch (e) {
            case 'd' -> range('0', '9');
            case 'D' -> anyChar().minus(range('0', '9'));
            case 'w' -> word();
            case 'W' -> anyChar().minus(word());
            case 's' -> Automaton.makeCharSet(" \t\n\r\f\u000b");
            case 'S' -> anyChar().minus(Automaton.makeCharSet(" \t\n\r\f\u000b"));
            case 'n' -> literal("\n");
            case 't' -> literal("\t");
            case 'r' -> literal("\r");
            case 'f' -> literal("\f");
            case 'v' -> literal("\u000b");
            case 'x' -> literal(hex(2));
            case 'u' -> literal(hex(4));
            default -> {
                if (Character.isLetterOrDigit(e)) {
                    at--;
                    throw error("the escape '\\" + e + "'" + (Character.isDigit(e) ? " (a backreference)" : ""));
                }
                yield literal(String.valueOf(e));
            }
        };
    }

    /**
     * The code point of the one-character escape at {@code at} (on the backslash; \\u4e00 is U+4E00, not the
     * bytes of its UTF-8), or -1 for a class escape such as \\d; {@link #escape} then reads it and checks it.
     */
    private int escapedCodePoint() {
        if (at + 1 >= re.length()) {
            return -1;
        }
        char e = re.charAt(at + 1);
        int digits = e == 'x' ? 2 : e == 'u' ? 4 : 0;
        if (digits > 0) {
            String hex = at + 2 + digits <= re.length() ? re.substring(at + 2, at + 2 + digits) : "";
            return hex.matches("[0-9a-fA-F]{" + digits + "}") ? Integer.parseInt(hex, 16) : -1;
        }
        return switch (e) {
            case 'n' -> '\n';
            case 't' -> '\t';
            case 'r' -> '\r';
            case 'f' -> '\f';
            case 'v' -> 0x0b;
            default -> Character.isLetterOrDigit(e) ? -1 : e;
        };
    }

    private String hex(int digits) {
        if (at + digits > re.length() || !re.substring(at, at + digits).matches("[0-9a-fA-F]+")) {
            throw error("a \\x or \\u escape without " + digits + " hex digits");
        }
        String s = new String(Character.toChars(Integer.parseInt(re.substring(at, at + digits), 16)));
        at += digits;
        return s;
    }

    private Automaton charClass() {
        at++;
        boolean negated = peek('^');
        if (negated) {
            at++;
        }
        List<Automaton> members = new ArrayList<>();
        boolean first = true;
        while (at < re.length() && (!peek(']') || first)) {
            first = false;
            if (peek('\\')) {
                int single = escapedCodePoint();
                Automaton escaped = escape(true);
                if (single >= 0 && peek('-') && at + 1 < re.length() && re.charAt(at + 1) != ']') {
                    at++;
                    members.add(classRange(single, rangeEnd()));
                } else {
                    members.add(escaped);
                }
                continue;
            }
            int cp = re.codePointAt(at);
            at += Character.charCount(cp);
            if (peek('-') && at + 1 < re.length() && re.charAt(at + 1) != ']') {
                at++;
                members.add(classRange(cp, rangeEnd()));
            } else {
                members.add(literal(new String(Character.toChars(cp))));
            }
        }
        if (!peek(']')) {
            throw error("an unterminated class '['");
        }
        at++;
        Automaton set = union(members);
        return negated ? anyChar().minus(set) : set;
    }

    private int rangeEnd() {
        if (peek('\\')) {
            int single = escapedCodePoint();
            escape(true);
            if (single < 0) {
                throw error("a class range ending in a class");
            }
            return single;
        }
        int cp = re.codePointAt(at);
        at += Character.charCount(cp);
        return cp;
    }

    private Automaton classRange(int from, int to) {
        if (to < from) {
            throw error("a class range out of order");
        }
        if (to > 0x7f) {
            throw error("a class range beyond ASCII");
        }
        return range((char) from, (char) to);
    }

    private static Automaton word() {
        return union(List.of(range('a', 'z'), range('A', 'Z'), range('0', '9'), literal("_")));
    }

    /** Any one character as UTF-8 bytes. */
    static Automaton anyChar() {
        return union(List.of(range((char) 0, (char) 0x7f), JsonAutomata.multibyte()));
    }
}
