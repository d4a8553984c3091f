package dev.specserve.controller.adaptbench;

import dev.specserve.controller.adaptbench.AdaptBench.PolicyRun;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;

/**
 * Writes the adapt-bench report's charts as PNG files: τ over time per policy ({@link TauChart}) and net
 * tokens/s per policy ({@link ThroughputChart}).
 */
public final class ReportCharts {
    static {
        // Before any AWT class initialises: the charts are drawn off screen, display or not.
        System.setProperty("java.awt.headless", "true");
    }

    private static final Map<String, Color> POLICY_COLOURS = Map.of(
            "static", new Color(0x555555),
            "periodic", new Color(0x1F77B4),
            "bandit", new Color(0x9467BD));
    private static final Color OTHER_POLICY = new Color(0x8C564B);

    private ReportCharts() {}

    /** Writes {@code tau-<scenario>.png} and {@code throughput-<scenario>.png} into {@code dir}; returns their paths. */
    public static List<Path> write(Path dir, String scenario, List<PolicyRun> runs) throws IOException {
        Path tau = dir.resolve("tau-" + scenario + ".png");
        save(TauChart.create(scenario, runs), tau, TauChart.WIDTH, TauChart.height(runs.size()));
        Path throughput = dir.resolve("throughput-" + scenario + ".png");
        save(ThroughputChart.create(scenario, runs), throughput, ThroughputChart.WIDTH, ThroughputChart.HEIGHT);
        return List.of(tau, throughput);
    }

    /** The same colour for a policy in every chart. */
    static Color colourOf(String policy) {
        return POLICY_COLOURS.getOrDefault(policy, OTHER_POLICY);
    }

    private static void save(JFreeChart chart, Path file, int width, int height) throws IOException {
        ChartUtils.saveChartAsPNG(file.toFile(), chart, width, height);
    }
}
