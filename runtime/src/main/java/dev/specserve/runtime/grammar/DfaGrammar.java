package dev.specserve.runtime.grammar;

import dk.brics.automaton.Automaton;
import dk.brics.automaton.RunAutomaton;
import java.util.function.Supplier;

/**
 * A grammar that is a regular language over bytes: a minimal deterministic automaton whose alphabet is the bytes
 * 0-255 (each byte stands for the char of the same number), built on {@link #compile} (or first use) and then
 * shared by every request that asks for the same constraint. JSON schemas and choice lists compile to one.
 */
final class DfaGrammar implements OutputGrammar {
    /** States beyond which a constraint is refused as too complex (each takes a table row and mask cache entries). */
    static final int MAX_STATES = 20_000;

    private final String field;
    private final String description;
    private final Supplier<Automaton> language;
    private volatile RunAutomaton dfa;

    /** @param language builds the automaton; called once, on {@link #compile} */
    DfaGrammar(String field, String description, Supplier<Automaton> language) {
        this.field = field;
        this.description = description;
        this.language = language;
    }

    @Override
    public String field() {
        return field;
    }

    @Override
    public void compile() {
        dfa();
    }

    private RunAutomaton dfa() {
        RunAutomaton d = dfa;
        if (d == null) {
            synchronized (this) {
                d = dfa;
                if (d == null) {
                    Automaton a = language.get();
                    a.minimize();
                    a.removeDeadTransitions(); // so a byte that leads where no output can end is refused
                    if (a.isEmpty()) {
                        throw new GrammarException(description + " allows no output at all");
                    }
                    if (a.getNumberOfStates() > MAX_STATES) {
                        throw new GrammarException(description + " is too complex: its automaton has "
                                + a.getNumberOfStates() + " states (at most " + MAX_STATES + ")");
                    }
                    d = new RunAutomaton(a, false);
                    dfa = d;
                }
            }
        }
        return d;
    }

    @Override
    public GrammarState start() {
        RunAutomaton d = dfa();
        return new State(d, d.getInitialState());
    }

    @Override
    public String toString() {
        return description;
    }

    /** A state of the automaton; -1 once a byte was refused. */
    private static final class State implements GrammarState {
        private final RunAutomaton dfa;
        private int state;

        State(RunAutomaton dfa, int state) {
            this.dfa = dfa;
            this.state = state;
        }

        @Override
        public boolean accept(byte b) {
            state = state < 0 ? -1 : dfa.step(state, (char) (b & 0xff));
            return state >= 0;
        }

        @Override
        public boolean complete() {
            return state >= 0 && dfa.isAccept(state);
        }

        @Override
        public GrammarState copy() {
            return new State(dfa, state);
        }

        @Override
        public Object key() {
            return state;
        }
    }
}
