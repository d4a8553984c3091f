package dev.specserve.controller.logging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The logging environment is checked before logback reads it: logback takes a level it does not know as DEBUG. */
class LogSettingsTest {
    @AfterEach
    void clear() {
        System.clearProperty(LogSettings.LEVEL_PROPERTY);
        System.clearProperty(LogSettings.FORMAT_PROPERTY);
    }

    @Test
    void levels_are_taken_in_any_case_and_python_spelling() {
        LogSettings.apply(Map.of(LogSettings.LEVEL_ENV, "warning", LogSettings.FORMAT_ENV, "JSON"));

        assertThat(System.getProperty(LogSettings.LEVEL_PROPERTY)).isEqualTo("WARN");
        assertThat(System.getProperty(LogSettings.FORMAT_PROPERTY)).isEqualTo("json");
        assertThat(LogSettings.level("debug")).isEqualTo("DEBUG");
    }

    @Test
    void an_unknown_level_or_format_is_refused_naming_the_variable_rather_than_read_as_debug() {
        assertThatThrownBy(() -> LogSettings.apply(Map.of(LogSettings.LEVEL_ENV, "verbose")))
                .hasMessageContaining("SPECSERVE_LOG_LEVEL (or -Dspecserve.log.level) is 'verbose'").hasMessageContaining("WARN");
        assertThatThrownBy(() -> LogSettings.apply(Map.of(LogSettings.FORMAT_ENV, "xml")))
                .hasMessageContaining("SPECSERVE_LOG_FORMAT (or -Dspecserve.log.format) is 'xml'");
        assertThat(System.getProperty(LogSettings.LEVEL_PROPERTY)).as("nothing set").isNull();
    }

    @Test
    void unset_variables_leave_logbacks_defaults() {
        LogSettings.apply(Map.of());

        assertThat(System.getProperty(LogSettings.LEVEL_PROPERTY)).isNull();
        assertThat(System.getProperty(LogSettings.FORMAT_PROPERTY)).isNull();
    }

    @Test
    void a_system_property_given_on_the_command_line_is_checked_too_and_wins_over_the_environment() {
        System.setProperty(LogSettings.FORMAT_PROPERTY, "yaml");
        assertThatThrownBy(() -> LogSettings.apply(Map.of(LogSettings.FORMAT_ENV, "json")))
                .hasMessageContaining("'yaml'");
        System.setProperty(LogSettings.FORMAT_PROPERTY, "JSON");
        System.setProperty(LogSettings.LEVEL_PROPERTY, "warning");

        LogSettings.apply(Map.of(LogSettings.FORMAT_ENV, "text", LogSettings.LEVEL_ENV, "DEBUG"));

        assertThat(System.getProperty(LogSettings.FORMAT_PROPERTY)).isEqualTo("json");
        assertThat(System.getProperty(LogSettings.LEVEL_PROPERTY)).isEqualTo("WARN");
    }
}
