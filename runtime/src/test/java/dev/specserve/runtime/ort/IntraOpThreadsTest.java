package dev.specserve.runtime.ort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class IntraOpThreadsTest {
    @Test
    void auto_leaves_one_core_free_but_never_goes_below_one_thread() {
        assertThat(IntraOpThreads.auto(1)).isEqualTo(1);
        assertThat(IntraOpThreads.auto(2)).isEqualTo(1);
        assertThat(IntraOpThreads.auto(16)).isEqualTo(15);
    }

    @Test
    void resolve_takes_auto_in_any_case_or_a_positive_count() {
        assertThat(IntraOpThreads.resolve(" Auto ")).isEqualTo(IntraOpThreads.auto(Runtime.getRuntime().availableProcessors()));
        assertThat(IntraOpThreads.resolve("3")).isEqualTo(3);
    }

    @Test
    void anything_else_is_refused_naming_the_value_and_what_is_expected() {
        for (String bad : new String[] {"0", "-1", "two", "1.5", "", null}) {
            assertThatThrownBy(() -> IntraOpThreads.resolve(bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("threads must be auto")
                    .hasMessageContaining("'" + bad + "'");
        }
    }
}
