package dev.specserve.controller.adaptbench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.specserve.controller.adaptbench.AdaptBench.PolicyRun;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportChartsTest {
    @TempDir
    Path dir;

    @Test
    void writesATauChartAndAThroughputChartNamedAfterTheScenario() throws Exception {
        List<Path> written = ReportCharts.write(dir, "drift", runs());

        assertThat(written).containsExactly(dir.resolve("tau-drift.png"), dir.resolve("throughput-drift.png"));
    }

    @Test
    void eachChartIsAReadablePngWithContentNotOneFlatColour() throws Exception {
        for (Path png : ReportCharts.write(dir, "drift", runs())) {
            BufferedImage image = ImageIO.read(png.toFile());

            assertThat(image).as("%s decodes as an image", png.getFileName()).isNotNull();
            assertThat(image.getWidth()).isPositive();
            assertThat(image.getHeight()).isPositive();
            assertThat(distinctColours(image)).as("colours in %s", png.getFileName()).isGreaterThan(10);
        }
    }

    @Test
    void aPolicyWithoutRoundsStillGetsItsCharts() throws Exception {
        List<Path> written = ReportCharts.write(dir, "empty",
                List.of(new PolicyRun("static", 0, new Timeline(), Map.of(), Map.of())));

        for (Path png : written) {
            assertThat(ImageIO.read(png.toFile())).isNotNull();
        }
    }

    /** A drift scenario: τ falls when phase B starts; bandit updates, swaps, rolls back, swaps again. */
    private static List<PolicyRun> runs() {
        Timeline fixed = new Timeline();
        Timeline bandit = new Timeline();
        for (int i = 0; i < 400; i++) {
            double t = i * 0.05;
            String phase = i < 200 ? "A" : "B";
            int tokens = i < 200 ? 3 : 1 + i % 2;
            fixed.round(t, phase, tokens, 1);
            long version = i < 250 ? 1 : i < 280 ? 2 : i < 300 ? 1 : 3;
            bandit.updatesSoFar(t, i < 250 ? 0 : i < 299 ? 1 : 2, i < 250 ? 0 : i < 299 ? 0.8 : 1.6);
            bandit.round(t, phase, version == 3 ? 3 : tokens, version);
        }
        return List.of(new PolicyRun("static", 120.5, fixed, Map.of(), Map.of()),
                new PolicyRun("bandit", 131.25, bandit, Map.of(), Map.of()));
    }

    private static int distinctColours(BufferedImage image) {
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < image.getHeight(); y += 2) {
            for (int x = 0; x < image.getWidth(); x += 2) {
                colours.add(image.getRGB(x, y));
            }
        }
        return colours.size();
    }
}
