package dev.specserve.runtime.grammar;

import dk.brics.automaton.Automaton;
import java.util.function.Supplier;

/**
 * A grammar that is a regular language over bytes: a deterministic automaton ({@link ByteDfa}) over the bytes
 * 0-255 (each byte stands for the char of the same number), built on {@link #compile} (or first use) and then
 * shared by every request that asks for the same constraint. JSON schemas and choice lists compile to one.
 */
final class DfaGrammar implements OutputGrammar {
    /** States beyond which a constraint is refused as too complex (each takes a table row and mask cache entries). */
    static final int MAX_STATES = 100_000;

    private static final java.util.concurrent.atomic.AtomicLong IDS = new java.util.concurrent.atomic.AtomicLong();

    private final long id = IDS.incrementAndGet();
    private final String field;
    private final String description;
    private final java.util.function.Consumer<DfaGrammar> onCompiled;
    private Supplier<Automaton> language; // dropped once compiled: its parsed or built pieces are no longer needed
    private volatile Compiled dfa;
    private GrammarException refused; // under this object's lock: why it cannot be compiled, once found

    /** The automaton, and per state the one byte it must read next (-1 where there is a choice or it may end). */
    private record Compiled(ByteDfa run, int[] forcedByte) {
        static Compiled of(ByteDfa run) {
            int[] forced = new int[run.size()];
            for (int s = 0; s < forced.length; s++) {
                forced[s] = run.forcedByte(s);
            }
            return new Compiled(run, forced);
        }
    }

    /**
     * @param language   builds the automaton; called once, on {@link #compile}
     * @param onCompiled told once the automaton is built (a cache weighing grammars by {@link #bytes} weighs it again)
     */
    DfaGrammar(String field, String description, Supplier<Automaton> language,
               java.util.function.Consumer<DfaGrammar> onCompiled) {
        this.field = field;
        this.description = description;
        this.language = language;
        this.onCompiled = onCompiled;
    }

    /** Bytes it holds: its tables once compiled, before that a floor for the schema text and the compile to come. */
    long bytes() {
        Compiled d = dfa;
        return Math.max(64 << 10, d == null ? 0 : d.run().bytes() + 4L * d.forcedByte().length);
    }

    @Override
    public long cacheId() {
        return id;
    }

    @Override
    public String field() {
        return field;
    }

    @Override
    public void compile() {
        dfa();
    }

    @Override
    public boolean compiled() {
        return dfa != null;
    }

    private Compiled dfa() {
        Compiled d = dfa;
        if (d == null) {
            synchronized (this) {
                d = dfa;
                if (refused != null) { // the same text fails the same way: not compiled again for every request
                    throw refused;
                }
                if (d == null) {
                    try {
                        ByteDfa run = ByteDfa.of(language.get(), MAX_STATES, description);
                        if (run == null) {
                            throw new GrammarException(description + " allows no output at all");
                        }
                        d = Compiled.of(run);
                    } catch (GrammarException e) {
                        refused = e;
                        language = null;
                        throw e;
                    }
                    dfa = d;
                    language = null;
                }
            }
            onCompiled.accept(this);
        }
        return d;
    }

    @Override
    public GrammarState start() {
        Compiled d = dfa();
        return new State(d, d.run().start());
    }

    @Override
    public String toString() {
        return description;
    }

    /** A state of the automaton; -1 once a byte was refused. */
    private static final class State implements GrammarState {
        private final Compiled dfa;
        private int state;

        State(Compiled dfa, int state) {
            this.dfa = dfa;
            this.state = state;
        }

        @Override
        public boolean accept(byte b) {
            state = state < 0 ? -1 : dfa.run().step(state, b);
            return state >= 0;
        }

        @Override
        public boolean complete() {
            return state >= 0 && dfa.run().accepts(state);
        }

        @Override
        public GrammarState copy() {
            return new State(dfa, state);
        }

        @Override
        public Object key() {
            return state;
        }

        @Override
        public boolean forcesNext() {
            return state >= 0 && dfa.forcedByte()[state] >= 0;
        }

        @Override
        public byte[] forced(int max) {
            byte[] out = new byte[max];
            int n = 0;
            for (int s = state; s >= 0 && n < max && dfa.forcedByte()[s] >= 0; n++) {
                out[n] = (byte) dfa.forcedByte()[s];
                s = dfa.run().step(s, dfa.forcedByte()[s]);
            }
            return java.util.Arrays.copyOf(out, n);
        }
    }
}
