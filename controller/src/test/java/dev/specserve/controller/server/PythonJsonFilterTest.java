package dev.specserve.controller.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Chat templates' {@code tojson} writes numbers as Python's {@code json.dumps} does, as transformers renders them. */
class PythonJsonFilterTest {
    @Test
    void floats_are_written_as_python_repr_writes_them() {
        double[] values = {1e-7, 1e20, 1e16, 1.5e16, 0.0001, 0.00012, 1e7, 10000000.5, 0.5, -2.5, 123.456, 1.0, -0.0,
                0.0, 1e300, 2.5e-5};
        String[] python = {"1e-07", "1e+20", "1e+16", "1.5e+16", "0.0001", "0.00012", "10000000.0", "10000000.5", "0.5",
                "-2.5", "123.456", "1.0", "-0.0", "0.0", "1e+300", "2.5e-05"};

        for (int i = 0; i < values.length; i++) {
            assertThat(PythonJsonFilter.pythonRepr(values[i])).as("%s", values[i]).isEqualTo(python[i]);
        }
    }
}
