package dev.specserve.controller.adaptbench;

import dev.specserve.controller.adaptbench.AdaptBench.PolicyRun;
import java.awt.Color;
import java.awt.Paint;
import java.math.RoundingMode;
import java.text.DecimalFormat;
import java.util.List;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.labels.ItemLabelAnchor;
import org.jfree.chart.labels.ItemLabelPosition;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.category.DefaultCategoryDataset;

/** Net tokens/s per policy as labelled bars, in the policies' colours. */
final class ThroughputChart {
    static final int WIDTH = 800;
    static final int HEIGHT = 500;
    private static final String SERIES = "net tokens/s";

    private ThroughputChart() {}

    static JFreeChart create(String scenario, List<PolicyRun> runs) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        runs.forEach(r -> data.addValue(r.netTokensPerSecond(), SERIES, r.policy()));
        JFreeChart chart = ChartFactory.createBarChart("Net tokens/s per policy, scenario " + scenario, "policy",
                "net tokens/s (update time included)", data);
        chart.removeLegend();
        chart.addSubtitle(new TextTitle("tokens generated / wall time of the policy's whole run"));
        chart.setBackgroundPaint(Color.WHITE);

        CategoryPlot plot = chart.getCategoryPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        plot.getRangeAxis().setUpperMargin(0.15); // room for the labels above the bars
        plot.setRenderer(new PolicyColouredBars());
        return chart;
    }

    private static final class PolicyColouredBars extends BarRenderer {
        PolicyColouredBars() {
            setBarPainter(new StandardBarPainter());
            setShadowVisible(false);
            setMaximumBarWidth(0.2);
            DecimalFormat oneDecimal = new DecimalFormat("0.0");
            oneDecimal.setRoundingMode(RoundingMode.HALF_UP); // as String.format rounds in the τ chart's captions
            setDefaultItemLabelGenerator(new StandardCategoryItemLabelGenerator("{2} tok/s", oneDecimal));
            setDefaultItemLabelsVisible(true);
            setDefaultItemLabelFont(getDefaultItemLabelFont().deriveFont(14f));
            setDefaultPositiveItemLabelPosition(new ItemLabelPosition(ItemLabelAnchor.OUTSIDE12,
                    TextAnchor.BOTTOM_CENTER));
        }

        @Override
        public Paint getItemPaint(int row, int column) {
            return ReportCharts.colourOf((String) getPlot().getDataset().getColumnKey(column));
        }
    }
}
