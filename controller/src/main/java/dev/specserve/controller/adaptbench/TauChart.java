package dev.specserve.controller.adaptbench;

import dev.specserve.controller.adaptbench.AdaptBench.PolicyRun;
import dev.specserve.controller.adaptbench.Timeline.PhaseSpan;
import dev.specserve.controller.adaptbench.Timeline.Update;
import dev.specserve.controller.adaptbench.Timeline.VersionChange;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Stroke;
import java.awt.geom.Line2D;
import java.awt.geom.Rectangle2D;
import java.util.List;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.LegendItem;
import org.jfree.chart.LegendItemCollection;
import org.jfree.chart.annotations.XYTitleAnnotation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.IntervalMarker;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.Layer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * τ over time, one panel per policy on a shared time axis and a shared τ scale, so the panels compare at a
 * glance. Each panel shades the scenario's phases and marks what its policy did: updates (their training
 * time), swaps and rollbacks.
 */
final class TauChart {
    /** Rounds in the moving average: smooths single rounds, still shows a drift within a phase. */
    static final int WINDOW = 32;
    static final int WIDTH = 1200;

    private static final Color PHASE_SHADE = new Color(0xE8E8E8);
    private static final Color UPDATE_BAND = new Color(255, 127, 14, 90); // translucent: overlaps show darker
    private static final Color UPDATE_START = new Color(0xB35806);
    private static final Color SWAP = new Color(0x2CA02C);
    private static final Color ROLLBACK = new Color(0xD62728);
    private static final Stroke UPDATE_STROKE = new BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER,
            10f, new float[] {4f, 3f}, 0f);
    private static final Stroke SWAP_STROKE = new BasicStroke(1.8f);
    private static final Stroke ROLLBACK_STROKE = new BasicStroke(2.4f);

    private TauChart() {}

    static int height(int policies) {
        return 170 + 230 * Math.max(1, policies);
    }

    static JFreeChart create(String scenario, List<PolicyRun> runs) {
        NumberAxis time = new NumberAxis("seconds since the policy's run start");
        // Fixed, not auto-ranged: updates that finish after the last round must stay in view.
        double end = runs.stream().mapToDouble(r -> r.timeline().lastSeconds()).max().orElse(0);
        time.setRange(0, Math.max(1.01 * end, 0.1));
        CombinedDomainXYPlot panels = new CombinedDomainXYPlot(time);
        panels.setGap(12);
        double top = tauCeiling(runs);
        for (PolicyRun run : runs) {
            panels.add(panel(run, top));
        }
        panels.setFixedLegendItems(legend(runs));

        JFreeChart chart = new JFreeChart("τ over time, scenario " + scenario, JFreeChart.DEFAULT_TITLE_FONT, panels,
                true);
        chart.addSubtitle(new TextTitle("τ = tokens per verification round (accepted + 1), moving average over "
                + WINDOW + " rounds"));
        chart.setBackgroundPaint(Color.WHITE);
        chart.getLegend().setPosition(RectangleEdge.BOTTOM);
        return chart;
    }

    private static XYPlot panel(PolicyRun run, double top) {
        XYSeries tau = new XYSeries(run.policy(), false, true);
        run.timeline().movingTau(WINDOW).forEach(p -> tau.add(p.seconds(), p.value()));
        NumberAxis tauAxis = new NumberAxis("τ, " + run.policy());
        tauAxis.setRange(1, top);
        XYLineAndShapeRenderer line = new XYLineAndShapeRenderer(true, false);
        line.setSeriesPaint(0, ReportCharts.colourOf(run.policy()));
        line.setSeriesStroke(0, new BasicStroke(1.8f));

        XYPlot plot = new XYPlot(new XYSeriesCollection(tau), null, tauAxis, line);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        markPhases(plot, run.timeline().phases());
        markEvents(plot, run.timeline());
        // below the phase labels, which sit on the top edge
        plot.addAnnotation(new XYTitleAnnotation(0.995, 0.89, caption(run), RectangleAnchor.TOP_RIGHT));
        return plot;
    }

    /** Every other phase shaded, each labelled with its name at the top. */
    private static void markPhases(XYPlot plot, List<PhaseSpan> phases) {
        for (int i = 0; i < phases.size(); i++) {
            PhaseSpan phase = phases.get(i);
            IntervalMarker span = new IntervalMarker(phase.start(), phase.end(),
                    i % 2 == 1 ? PHASE_SHADE : new Color(0, 0, 0, 0));
            span.setLabel("phase " + phase.name());
            span.setLabelFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
            span.setLabelBackgroundColor(new Color(0, 0, 0, 0));
            span.setLabelAnchor(RectangleAnchor.TOP_LEFT);
            span.setLabelTextAnchor(TextAnchor.TOP_LEFT);
            span.setLabelOffset(new RectangleInsets(4, 6, 4, 6));
            plot.addDomainMarker(span, Layer.BACKGROUND);
        }
    }

    private static void markEvents(XYPlot plot, Timeline timeline) {
        for (Update u : timeline.updates()) {
            IntervalMarker training = new IntervalMarker(u.started(), u.finished(), UPDATE_BAND);
            plot.addDomainMarker(training, Layer.BACKGROUND);
            plot.addDomainMarker(new ValueMarker(u.started(), UPDATE_START, UPDATE_STROKE), Layer.FOREGROUND);
        }
        for (VersionChange swap : timeline.swaps()) {
            plot.addDomainMarker(new ValueMarker(swap.seconds(), SWAP, SWAP_STROKE), Layer.FOREGROUND);
        }
        for (VersionChange rollback : timeline.rollbacks()) {
            plot.addDomainMarker(new ValueMarker(rollback.seconds(), ROLLBACK, ROLLBACK_STROKE), Layer.FOREGROUND);
        }
    }

    private static TextTitle caption(PolicyRun run) {
        Timeline t = run.timeline();
        TextTitle caption = new TextTitle(String.format("%s: %s, %s, %s, %.1f net tokens/s", run.policy(),
                count(t.updates().size(), "update"), count(t.swaps().size(), "swap"),
                count(t.rollbacks().size(), "rollback"), run.netTokensPerSecond()),
                new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        caption.setBackgroundPaint(new Color(255, 255, 255, 210));
        caption.setPadding(2, 4, 2, 4);
        return caption;
    }

    private static String count(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    private static LegendItemCollection legend(List<PolicyRun> runs) {
        LegendItemCollection items = new LegendItemCollection();
        Line2D line = new Line2D.Double(-8, 0, 8, 0);
        Rectangle2D square = new Rectangle2D.Double(-6, -6, 12, 12);
        runs.stream().map(PolicyRun::policy).distinct().forEach(policy -> items.add(
                new LegendItem("τ, " + policy, null, null, null, line, new BasicStroke(2.5f),
                        ReportCharts.colourOf(policy))));
        items.add(new LegendItem("update (band: training time, dashed: its start)", null, null, null, true, square,
                true, UPDATE_BAND, false, UPDATE_START, UPDATE_STROKE, true, line, UPDATE_STROKE, UPDATE_START));
        items.add(new LegendItem("swap (first round on the new version)", null, null, null, line, SWAP_STROKE, SWAP));
        items.add(new LegendItem("rollback", null, null, null, line, ROLLBACK_STROKE, ROLLBACK));
        items.add(new LegendItem("phase (shaded every other)", null, null, null, square, PHASE_SHADE));
        return items;
    }

    /**
     * One τ scale for every panel: from 1 (nothing accepted) to well above the highest average, so the top strip
     * stays free for the phase labels and the caption.
     */
    private static double tauCeiling(List<PolicyRun> runs) {
        double max = runs.stream().flatMap(r -> r.timeline().movingTau(WINDOW).stream())
                .mapToDouble(Timeline.Point::value).max().orElse(2);
        return 1 + (Math.max(max, 1.5) - 1) * 1.35;
    }
}
