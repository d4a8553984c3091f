package dev.specserve.controller.adapt;

import dev.specserve.bandit.BanditConfig;
import dev.specserve.bandit.CostAwareBandit;
import dev.specserve.bandit.Decision;
import dev.specserve.bandit.DecisionContext;
import dev.specserve.bandit.DecisionReplay;
import dev.specserve.telemetry.DecisionEvent;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The bandit's decisions as {@link DecisionEvent}s on the feedback topic, and back: what
 * {@link AdaptationController} publishes, and how an audit rebuilds the bandit's calls from the events alone
 * and replays them ({@link DecisionReplay}, which says what a replay guarantees).
 *
 * <p>Every decision is published twice under its id: when it is made (action {@code bandit:<arm>}) and when
 * its reward is realised (action {@code realised}, reward in {@code realised.reward_tokens}, and how it was
 * measured, its windows, capacities, training and swap seconds, in {@code realised.reward_inputs}). The inputs of
 * both hold the decision's context ({@link DecisionContext#toMap()}) and, additively:
 * <ul>
 *   <li>{@value #RUN_ID}: the bandit instance's run id (the prefix of its decision ids);</li>
 *   <li>{@value #SEQUENCE}: the sequence number of the call the event records (the decide call for
 *       {@code bandit:*}, the realise call for {@code realised});</li>
 *   <li>{@value #CONFIG}: the bandit's whole configuration, seed included ({@link BanditConfig#toMap()}).</li>
 * </ul>
 * The predictions of a {@code bandit:*} event hold the chosen arm's {@code gain_tokens} and
 * {@code cost_tokens} and, per arm, {@code posterior_means} and {@code posterior_sds}.
 */
public final class BanditLog {
    /** The policy name of the bandit's decision events. */
    public static final String POLICY = "cost-aware-bandit";
    public static final String RUN_ID = "bandit_run_id";
    public static final String SEQUENCE = "bandit_sequence";
    public static final String CONFIG = "bandit_config";
    static final String DECIDED_PREFIX = "bandit:";
    static final String REALISED = "realised";
    static final String REWARD_INPUTS = "reward_inputs";

    private BanditLog() {
    }

    /** The inputs of an event recording the call with this sequence number on decision {@code d}. */
    public static Map<String, Object> inputs(CostAwareBandit bandit, Decision d, long sequence) {
        Map<String, Object> m = new LinkedHashMap<>(d.context().toMap());
        m.put(RUN_ID, bandit.runId());
        m.put(SEQUENCE, sequence);
        m.put(CONFIG, bandit.config().toMap());
        return m;
    }

    /** The realised part of a {@code realised} event: the reward and, when known, how it was measured. */
    public static Map<String, Object> realised(Decision d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("reward_tokens", d.realisedReward().orElse(Double.NaN));
        if (!d.rewardInputs().isEmpty()) {
            m.put(REWARD_INPUTS, d.rewardInputs());
        }
        return m;
    }

    /** Posterior standard deviation of each arm's predicted reward (tokens), by arm name. */
    public static Map<String, Object> posteriorSds(Decision d) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Decision.ArmEstimate e : d.estimates()) {
            m.put(e.arm().name(), Double.isFinite(e.posteriorSd()) ? e.posteriorSd() : null);
        }
        return m;
    }

    /** One bandit instance's logged calls. */
    public record Run(String runId, BanditConfig config, List<DecisionReplay.Step> steps) {
        public Run {
            steps = List.copyOf(steps);
        }

        public DecisionReplay.Result replay() {
            return DecisionReplay.replay(config, runId, steps);
        }
    }

    /**
     * Rebuilds, from decision events in any order (e.g. everything read back from the feedback topic), the
     * calls of every bandit instance they record, by run id. Events of other policies, and bandit events
     * published before the inputs carried {@value #SEQUENCE}, are ignored.
     *
     * @throws IllegalArgumentException if an event of the bandit cannot be read, or one run's events disagree
     *                                  on the configuration
     */
    public static Map<String, Run> runs(Collection<DecisionEvent> events) {
        Map<String, BanditConfig> configs = new LinkedHashMap<>();
        Map<String, List<DecisionReplay.Step>> steps = new LinkedHashMap<>();
        for (DecisionEvent e : events) {
            if (!POLICY.equals(e.policy()) || !e.inputs().containsKey(SEQUENCE)) {
                continue;
            }
            String runId = text(e.inputs(), RUN_ID, e);
            BanditConfig config = BanditConfig.fromMap(map(e.inputs().get(CONFIG), CONFIG, e));
            BanditConfig before = configs.putIfAbsent(runId, config);
            if (before != null && !before.equals(config)) {
                throw new IllegalArgumentException("run " + runId + ": decision " + e.decisionId()
                        + " was logged with another bandit configuration than earlier ones");
            }
            steps.computeIfAbsent(runId, k -> new ArrayList<>()).add(step(e));
        }
        Map<String, Run> runs = new LinkedHashMap<>();
        steps.forEach((runId, s) -> runs.put(runId, new Run(runId, configs.get(runId), s)));
        return runs;
    }

    /** Replays every bandit instance the events record, by run id. */
    public static Map<String, DecisionReplay.Result> replay(Collection<DecisionEvent> events) {
        Map<String, DecisionReplay.Result> out = new LinkedHashMap<>();
        runs(events).forEach((runId, run) -> out.put(runId, run.replay()));
        return out;
    }

    /** The call one bandit event records. */
    static DecisionReplay.Step step(DecisionEvent e) {
        Object seq = e.inputs().get(SEQUENCE);
        if (!(seq instanceof Long || seq instanceof Integer)) {
            throw new IllegalArgumentException("decision " + e.decisionId() + ": " + SEQUENCE + " is not an integer: " + seq);
        }
        long sequence = ((Number) seq).longValue();
        if (REALISED.equals(e.action())) {
            Object reward = e.realised().get("reward_tokens");
            if (!(reward instanceof Number r)) {
                throw new IllegalArgumentException("decision " + e.decisionId() + ": realised event without reward_tokens");
            }
            Map<String, Object> inputs = e.realised().get(REWARD_INPUTS) instanceof Map<?, ?> m
                    ? castMap(m) : Map.of();
            return new DecisionReplay.Realise(sequence, e.decisionId(), r.doubleValue(), inputs);
        }
        if (!e.action().startsWith(DECIDED_PREFIX)) {
            throw new IllegalArgumentException("decision " + e.decisionId() + ": unknown bandit action " + e.action());
        }
        Objects.requireNonNull(e.drafterId(), "drafter_id of decision " + e.decisionId());
        Map<String, Object> p = e.predicted();
        DecisionReplay.Logged logged = new DecisionReplay.Logged(e.decisionId(),
                e.action().substring(DECIDED_PREFIX.length()), number(p.get("gain_tokens")),
                number(p.get("cost_tokens")), doubles(p.get("posterior_means")), doubles(p.get("posterior_sds")));
        return new DecisionReplay.Decide(sequence, e.drafterId(), DecisionContext.fromMap(e.inputs()), logged);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Map<?, ?> m) {
        return (Map<String, Object>) m;
    }

    private static double number(Object v) {
        return v instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    private static Map<String, Double> doubles(Object v) {
        Map<String, Double> out = new LinkedHashMap<>();
        if (v instanceof Map<?, ?> m) {
            m.forEach((k, x) -> out.put(String.valueOf(k), number(x)));
        }
        return out;
    }

    private static String text(Map<String, Object> m, String key, DecisionEvent e) {
        if (!(m.get(key) instanceof String s)) {
            throw new IllegalArgumentException("decision " + e.decisionId() + ": " + key + " is missing");
        }
        return s;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, ?> map(Object v, String key, DecisionEvent e) {
        if (!(v instanceof Map<?, ?>)) {
            throw new IllegalArgumentException("decision " + e.decisionId() + ": " + key + " is missing");
        }
        return (Map<String, ?>) v;
    }
}
