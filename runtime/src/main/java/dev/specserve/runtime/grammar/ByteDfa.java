package dev.specserve.runtime.grammar;

import dk.brics.automaton.Automaton;
import dk.brics.automaton.State;
import dk.brics.automaton.Transition;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A deterministic automaton over bytes, made from a (possibly nondeterministic) {@link Automaton} whose chars are
 * bytes: subset construction over byte classes (bytes no transition tells apart), then every state from which no
 * accepting state can be reached removed, so a byte is refused exactly when no allowed text continues with it.
 * Not minimized: masks are cached per state either way. The library's own determinization took about 0.1 ms per
 * state here (it steps every char interval through every transition); this one tabulates each state's targets per
 * byte class once. Immutable.
 */
final class ByteDfa {
    /** Byte to class. */
    private final int[] classOf;
    private final int classes;
    /** Next state per (state, class), -1 where the byte is refused. */
    private final int[] next;
    private final boolean[] accept;

    private ByteDfa(int[] classOf, int classes, int[] next, boolean[] accept) {
        this.classOf = classOf;
        this.classes = classes;
        this.next = next;
        this.accept = accept;
    }

    int start() {
        return 0;
    }

    int size() {
        return accept.length;
    }

    /** Bytes of its tables, roughly: what a cache of compiled grammars weighs it by. */
    long bytes() {
        return 4L * next.length + 4L * classOf.length + accept.length;
    }

    /** The state after byte {@code b} from {@code state}, or -1. */
    int step(int state, int b) {
        return next[state * classes + classOf[b & 0xff]];
    }

    boolean accepts(int state) {
        return accept[state];
    }

    /** The one byte {@code state} must read next, or -1 when there is a choice or the text may end here. */
    int forcedByte(int state) {
        if (accept[state]) {
            return -1;
        }
        int only = -1;
        for (int b = 0; b < 256; b++) {
            if (next[state * classes + classOf[b]] >= 0) {
                if (only >= 0) {
                    return -1;
                }
                only = b;
            }
        }
        return only;
    }

    /**
     * @return the automaton, or null when it accepts nothing
     * @throws GrammarException when it needs more than {@code maxStates} states
     */
    static ByteDfa of(Automaton a, int maxStates, String description) {
        List<State> states = new ArrayList<>(a.getStates());
        Map<State, Integer> id = new IdentityHashMap<>();
        for (int i = 0; i < states.size(); i++) {
            id.put(states.get(i), i);
        }
        boolean[] boundary = new boolean[257];
        boundary[0] = true;
        for (State s : states) {
            for (Transition t : s.getTransitions()) {
                if (t.getMin() <= 255) {
                    boundary[t.getMin()] = true;
                    boundary[Math.min(t.getMax(), 255) + 1] = true;
                }
            }
        }
        int[] classOf = new int[256];
        int classes = 0;
        for (int b = 0; b < 256; b++) {
            if (boundary[b] && b > 0) {
                classes++;
            }
            classOf[b] = classes;
        }
        classes++;
        // each NFA state's targets per class, tabulated once
        int[][][] targets = new int[states.size()][classes][];
        int[] none = new int[0];
        for (int i = 0; i < states.size(); i++) {
            int[][] row = targets[i];
            Arrays.fill(row, none);
            for (Transition t : states.get(i).getTransitions()) {
                if (t.getMin() > 255) {
                    continue;
                }
                int dest = id.get(t.getDest());
                for (int c = classOf[t.getMin()]; c <= classOf[Math.min(t.getMax(), 255)]; c++) {
                    int[] had = row[c];
                    int[] grown = Arrays.copyOf(had, had.length + 1);
                    grown[had.length] = dest;
                    row[c] = grown;
                }
            }
        }
        // subset construction
        Map<Key, Integer> index = new HashMap<>();
        List<int[]> subsets = new ArrayList<>();
        int[] table = new int[16 * classes];
        ArrayDeque<Integer> work = new ArrayDeque<>();
        int[] first = {id.get(a.getInitialState())};
        index.put(new Key(first), 0);
        subsets.add(first);
        work.add(0);
        boolean[] mark = new boolean[states.size()];
        int[] gathered = new int[states.size()];
        while (!work.isEmpty()) {
            int d = work.poll();
            int[] subset = subsets.get(d);
            for (int c = 0; c < classes; c++) {
                int n = 0;
                for (int s : subset) {
                    for (int t : targets[s][c]) {
                        if (!mark[t]) {
                            mark[t] = true;
                            gathered[n++] = t;
                        }
                    }
                }
                for (int i = 0; i < n; i++) {
                    mark[gathered[i]] = false;
                }
                int to = -1;
                if (n > 0) {
                    int[] target = Arrays.copyOf(gathered, n);
                    Arrays.sort(target);
                    Key k = new Key(target);
                    Integer known = index.get(k);
                    if (known == null) {
                        if (subsets.size() >= maxStates * 4) {
                            throw tooComplex(description, subsets.size(), maxStates);
                        }
                        known = subsets.size();
                        index.put(k, known);
                        subsets.add(target);
                        work.add(known);
                    }
                    to = known;
                }
                if ((d + 1) * classes > table.length) {
                    table = Arrays.copyOf(table, Math.max(table.length * 2, (d + 1) * classes));
                }
                table[d * classes + c] = to;
            }
        }
        int size = subsets.size();
        boolean[] accepting = new boolean[size];
        for (int d = 0; d < size; d++) {
            for (int s : subsets.get(d)) {
                accepting[d] |= states.get(s).isAccept();
            }
        }
        return live(classOf, classes, Arrays.copyOf(table, size * classes), accepting, maxStates, description);
    }

    /** Keeps the states from which an accepting one can be reached, renumbered with the start first. */
    private static ByteDfa live(int[] classOf, int classes, int[] table, boolean[] accepting, int maxStates,
                                String description) {
        int size = accepting.length;
        List<List<Integer>> into = new ArrayList<>(size);
        for (int d = 0; d < size; d++) {
            into.add(new ArrayList<>(2));
        }
        for (int d = 0; d < size; d++) {
            for (int c = 0; c < classes; c++) {
                int to = table[d * classes + c];
                if (to >= 0) {
                    into.get(to).add(d);
                }
            }
        }
        boolean[] live = new boolean[size];
        ArrayDeque<Integer> work = new ArrayDeque<>();
        for (int d = 0; d < size; d++) {
            if (accepting[d]) {
                live[d] = true;
                work.add(d);
            }
        }
        while (!work.isEmpty()) {
            for (int from : into.get(work.poll())) {
                if (!live[from]) {
                    live[from] = true;
                    work.add(from);
                }
            }
        }
        if (!live[0]) {
            return null;
        }
        int[] renumber = new int[size];
        int n = 0;
        for (int d = 0; d < size; d++) {
            renumber[d] = live[d] ? n++ : -1;
        }
        if (n > maxStates) {
            throw tooComplex(description, n, maxStates);
        }
        int[] next = new int[n * classes];
        boolean[] accept = new boolean[n];
        for (int d = 0; d < size; d++) {
            if (!live[d]) {
                continue;
            }
            accept[renumber[d]] = accepting[d];
            for (int c = 0; c < classes; c++) {
                int to = table[d * classes + c];
                next[renumber[d] * classes + c] = to >= 0 ? renumber[to] : -1;
            }
        }
        return new ByteDfa(classOf, classes, next, accept);
    }

    private static GrammarException tooComplex(String description, int states, int maxStates) {
        return new GrammarException(description + " is too complex: its automaton has at least " + states
                + " states (at most " + maxStates + ")");
    }

    private record Key(int[] states) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Arrays.equals(states, k.states);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(states);
        }
    }
}
