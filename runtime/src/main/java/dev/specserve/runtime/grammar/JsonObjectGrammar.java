package dev.specserve.runtime.grammar;

import java.util.Arrays;

/**
 * OpenAI's JSON mode ({@code response_format: {"type": "json_object"}}) as a byte-level recogniser of JSON-object
 * prefixes: {@link #accept} takes the output one byte at a time and refuses the first byte after which no
 * completion could be a JSON object (RFC 8259; the top-level value must be an object, nesting at most
 * {@value #MAX_DEPTH} deep, strings of any bytes but unescaped control characters, and whitespace between tokens in
 * runs of at most {@value #MAX_WHITESPACE} bytes, so a model that would rather pad than write cannot stall: the
 * limit leaves room for indentation, and past it the next byte must be JSON).
 * {@link #complete} tells when the object is closed, after which only whitespace may follow. Bytes of 0x80 and up
 * are taken as string content unchecked (a UTF-8 sequence split across tokens stays a valid prefix).
 * Mutable and cheap to {@link #copy}; not thread-safe.
 */
public final class JsonObjectGrammar implements GrammarState {
    /** JSON mode, as a grammar: each output starts from an empty recogniser. */
    static final OutputGrammar MODE = new OutputGrammar() {
        @Override
        public GrammarState start() {
            return new JsonObjectGrammar();
        }

        @Override
        public String field() {
            return "response_format";
        }

        @Override
        public long cacheId() {
            return 0; // the one JSON mode; compiled grammars count from 1
        }

        @Override
        public String toString() {
            return "json_object";
        }
    };

    static final int MAX_DEPTH = 32;
    static final int MAX_WHITESPACE = 24;

    /** Where the structure stands. */
    private static final byte VALUE = 0;        // a value must come (after ':' or ',' in an array)
    private static final byte FIRST_KEY = 1;    // after '{': a key or '}'
    private static final byte KEY = 2;          // after ',' in an object: a key
    private static final byte COLON = 3;        // after a key
    private static final byte AFTER_VALUE = 4;  // ',' or the container's end
    private static final byte FIRST_ITEM = 5;   // after '[': a value or ']'
    private static final byte DONE = 6;         // the object is closed
    /** Inside a token. */
    private static final byte NONE = 0;
    private static final byte STRING = 1;
    private static final byte ESCAPE = 2;
    private static final byte UNICODE = 3;      // 'left' hex digits to go
    private static final byte NUMBER = 4;       // 'num' is the number's state
    private static final byte LITERAL = 5;      // the rest of 'literal' from 'left'

    /** Number states: after '-', after a leading 0, in the integer, after '.', in the fraction, after e, after e's sign, in the exponent. */
    private static final byte MINUS = 0, ZERO = 1, INT = 2, DOT = 3, FRAC = 4, EXP = 5, EXP_SIGN = 6, EXP_DIGITS = 7;
    private static final String[] LITERALS = {"true", "false", "null"};

    private byte[] stack = new byte[4]; // '{' or '['
    private int depth;
    private byte structure = VALUE;
    private byte token = NONE;
    private boolean key;
    private byte num;
    private byte literal;
    private byte left;
    /** Whitespace bytes in a row, between tokens. */
    private byte whitespace;

    @Override
    public JsonObjectGrammar copy() {
        return new JsonObjectGrammar().set(this);
    }

    /** Makes this state {@code other}'s (reusing this one's stack), and returns it. */
    JsonObjectGrammar set(JsonObjectGrammar other) {
        if (stack.length < other.depth) {
            stack = new byte[other.stack.length];
        }
        System.arraycopy(other.stack, 0, stack, 0, other.depth);
        depth = other.depth;
        structure = other.structure;
        token = other.token;
        key = other.key;
        num = other.num;
        literal = other.literal;
        left = other.left;
        whitespace = other.whitespace;
        return this;
    }

    /** True once the top-level object is closed (only whitespace may follow). */
    @Override
    public boolean complete() {
        return structure == DONE;
    }

    /** Takes one byte; false when no JSON object continues this way (the state is then undefined). */
    @Override
    public boolean accept(byte b) {
        int c = b & 0xff;
        switch (token) {
            case STRING:
                if (c == '"') {
                    token = NONE;
                    structure = key ? COLON : AFTER_VALUE;
                    return true;
                }
                if (c == '\\') {
                    token = ESCAPE;
                }
                return c >= 0x20;
            case ESCAPE:
                if (c == 'u') {
                    token = UNICODE;
                    left = 4;
                    return true;
                }
                token = STRING;
                return c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' || c == 'r' || c == 't';
            case UNICODE:
                if (Character.digit(c, 16) < 0 || c > 'f') {
                    return false;
                }
                if (--left == 0) {
                    token = STRING;
                }
                return true;
            case LITERAL:
                if (c != LITERALS[literal].charAt(LITERALS[literal].length() - left)) {
                    return false;
                }
                if (--left == 0) {
                    token = NONE;
                    structure = AFTER_VALUE;
                }
                return true;
            case NUMBER:
                if (number(c)) {
                    return true;
                }
                if (num == MINUS || num == DOT || num == EXP || num == EXP_SIGN) {
                    return false; // the number cannot end here
                }
                token = NONE;
                structure = AFTER_VALUE;
                return structural(c); // the byte that ended the number
            default:
                return structural(c);
        }
    }

    /** Advances the number by {@code c}, or false when {@code c} cannot continue it. */
    private boolean number(int c) {
        boolean digit = c >= '0' && c <= '9';
        byte next = switch (num) {
            case MINUS -> c == '0' ? ZERO : digit ? INT : -1;
            case ZERO -> c == '.' ? DOT : c == 'e' || c == 'E' ? EXP : -1;
            case INT -> digit ? INT : c == '.' ? DOT : c == 'e' || c == 'E' ? EXP : -1;
            case DOT -> digit ? FRAC : -1;
            case FRAC -> digit ? FRAC : c == 'e' || c == 'E' ? EXP : -1;
            case EXP -> digit ? EXP_DIGITS : c == '+' || c == '-' ? EXP_SIGN : -1;
            case EXP_SIGN, EXP_DIGITS -> digit ? EXP_DIGITS : -1;
            default -> -1;
        };
        if (next < 0) {
            return false;
        }
        num = next;
        return true;
    }

    private boolean structural(int c) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            return ++whitespace <= MAX_WHITESPACE;
        }
        whitespace = 0;
        switch (structure) {
            case DONE:
                return false;
            case COLON:
                if (c != ':') {
                    return false;
                }
                structure = VALUE;
                return true;
            case FIRST_KEY, KEY:
                if (c == '"') {
                    token = STRING;
                    key = true;
                    return true;
                }
                return c == '}' && structure == FIRST_KEY && close('{');
            case AFTER_VALUE:
                if (c == ',') {
                    structure = stack[depth - 1] == '{' ? KEY : VALUE;
                    return true;
                }
                return (c == '}' || c == ']') && close(c == '}' ? '{' : '[');
            case FIRST_ITEM:
                if (c == ']') {
                    return close('[');
                }
                return value(c);
            default: // VALUE
                return value(c);
        }
    }

    /** A value starting with {@code c}; at the top level only an object. */
    private boolean value(int c) {
        if (depth == 0 && c != '{') {
            return false;
        }
        if (c == '{' || c == '[') {
            if (depth == MAX_DEPTH) {
                return false;
            }
            if (depth == stack.length) {
                stack = Arrays.copyOf(stack, depth * 2);
            }
            stack[depth++] = (byte) c;
            structure = c == '{' ? FIRST_KEY : FIRST_ITEM;
            return true;
        }
        if (c == '"') {
            token = STRING;
            key = false;
            return true;
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            token = NUMBER;
            num = c == '-' ? MINUS : c == '0' ? ZERO : INT;
            return true;
        }
        for (byte i = 0; i < LITERALS.length; i++) {
            if (c == LITERALS[i].charAt(0)) {
                token = LITERAL;
                literal = i;
                left = (byte) (LITERALS[i].length() - 1);
                return true;
            }
        }
        return false;
    }

    private boolean close(char open) {
        if (depth == 0 || stack[depth - 1] != open) {
            return false;
        }
        depth--;
        structure = depth == 0 ? DONE : AFTER_VALUE;
        return true;
    }

    /**
     * A key for what may follow this state: two states with equal keys accept the same byte strings (the whole
     * stack counts, since one token may close several containers).
     */
    @Override
    public String key() {
        StringBuilder sb = new StringBuilder(depth + 12);
        for (int i = 0; i < depth; i++) {
            sb.append((char) stack[i]);
        }
        sb.append('|').append(structure).append(token).append(',').append(whitespace);
        switch (token) {
            case STRING, ESCAPE -> sb.append(key ? 'k' : 'v');
            case NUMBER -> sb.append(num);
            case UNICODE -> sb.append(key ? 'k' : 'v').append(left);
            case LITERAL -> sb.append(literal).append(',').append(left);
            default -> { }
        }
        return sb.toString();
    }
}
