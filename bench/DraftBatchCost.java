import dev.specserve.drafters.DrafterConfig;
import dev.specserve.drafters.ModelStack;
import dev.specserve.runtime.model.Masks;
import dev.specserve.runtime.model.TargetOutput;
import dev.specserve.runtime.ort.ExecutionDevice;
import dev.specserve.runtime.spec.DraftBudget;
import dev.specserve.runtime.spec.DraftSession;
import dev.specserve.runtime.spec.Drafter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * What one round's drafting costs for B sequences: each drafted alone (one drafter call per sequence and step)
 * against all drafted together ({@code Drafter.proposeAll}: one batched call per step), interleaved, median of
 * REPS, with the serving defaults (one SpecBlock forward per round). Sequences are held-out prompts of 150-450 tokens prefilled on the target. Not a test; run with
 *
 *   java -cp controller/target/specserve.jar bench/DraftBatchCost.java models/demo [strategy] [reps] [threads]
 */
public class DraftBatchCost {
    public static void main(String[] args) throws Exception {
        Path models = Path.of(args.length > 0 ? args[0] : "models/demo");
        String strategy = args.length > 1 ? args[1] : "specblock";
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 41;
        int threads = dev.specserve.runtime.ort.IntraOpThreads.resolve(args.length > 3 ? args[3] : "auto");
        try (ModelStack stack = ModelStack.load(models, ExecutionDevice.AUTO, threads)) {
            Drafter drafter = stack.strategy(strategy, DrafterConfig.defaults());
            List<int[]> prompts = new ArrayList<>();
            for (String line : Files.readAllLines(Path.of("bench/prompts/python-heldout.jsonl"))) {
                String prompt = new com.fasterxml.jackson.databind.ObjectMapper().readTree(line).get("prompt").asText();
                int[] ids = stack.tokenizer().encode(prompt);
                if (ids.length >= 150 && ids.length <= 450) {
                    prompts.add(ids);
                }
                if (prompts.size() == 8) {
                    break;
                }
            }
            DraftBudget budget = new DraftBudget(24, 8);
            System.out.printf("strategy %s, %d reps, %d ORT threads, prompt tokens %s%n", strategy, reps, threads,
                    Arrays.toString(prompts.stream().mapToInt(p -> p.length).toArray()));
            System.out.println("B  alone_ms  together_ms  ratio  calls_alone  calls_together  ort_alone  ort_together");
            for (int b : new int[] {1, 2, 4, 8}) {
                List<DraftSession> sessions = new ArrayList<>();
                List<DraftSession> batched = new ArrayList<>();
                for (int i = 0; i < b; i++) {
                    sessions.add(started(stack, drafter, prompts.get(i)));
                    batched.add(started(stack, drafter, prompts.get(i)));
                }
                int dim = stack.target().info().dim();
                float[] twoRows = new float[2 * dim];
                Arrays.fill(twoRows, 0.01f);
                List<DraftBudget> budgets = Collections.nCopies(b, budget);
                double[] alone = new double[reps];
                double[] together = new double[reps];
                double[] ortAlone = new double[reps];
                double[] ortTogether = new double[reps];
                long callsAlone = 0;
                long callsTogether = 0;
                for (int r = 0; r < reps; r++) {
                    for (int i = 0; i < b; i++) { // each round starts after an accepted token and a bonus token
                        int[] two = {prompts.get(i)[r % 50], prompts.get(i)[r % 50 + 1]};
                        sessions.get(i).commit(two, twoRows);
                        batched.get(i).commit(two, twoRows);
                    }
                    long c0 = stack.drafterModel().calls();
                    long t0 = System.nanoTime();
                    for (DraftSession s : sessions) {
                        s.propose(budget);
                    }
                    alone[r] = (System.nanoTime() - t0) / 1e6;
                    for (DraftSession s : sessions) {
                        ortAlone[r] += s.lastStats().ortNanos() / 1e6;
                    }
                    long c1 = stack.drafterModel().calls();
                    t0 = System.nanoTime();
                    drafter.proposeAll(batched, budgets);
                    together[r] = (System.nanoTime() - t0) / 1e6;
                    for (DraftSession s : batched) {
                        ortTogether[r] += s.lastStats().ortNanos() / 1e6;
                    }
                    callsAlone += c1 - c0;
                    callsTogether += stack.drafterModel().calls() - c1;
                }
                double a = median(alone);
                double t = median(together);
                System.out.printf("%d  %8.2f  %11.2f  %5.2f  %11.1f  %14.1f  %7.2f  %7.2f%n", b, a, t, t / a,
                        (double) callsAlone / reps, (double) callsTogether / reps, median(ortAlone), median(ortTogether));
                sessions.forEach(DraftSession::close);
                batched.forEach(DraftSession::close);
            }
        }
    }

    static DraftSession started(ModelStack stack, Drafter drafter, int[] ids) {
        var target = stack.target();
        int[] pos = new int[ids.length];
        Arrays.setAll(pos, i -> i);
        TargetOutput out = target.forward(ids, pos, Masks.causal(ids.length, 0), target.newCache(ids.length));
        int[] rows = new int[ids.length];
        Arrays.setAll(rows, i -> i);
        DraftSession s = drafter.newSession();
        s.start(ids, out.hiddenRows(rows), out.argmax(ids.length - 1));
        s.propose(new DraftBudget(24, 8)); // feeds the prompt's context pairs: later rounds see the full past
        return s;
    }

    static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }
}
