package dev.specserve.controller.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.status.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The logback.xml the jar ships (the tests run under logback-test.xml, so nothing else loads it): each format
 * LogSettings accepts gives a console appender with its encoder, and the level is the one handed over, with no
 * configuration error (one would leave the process logging nothing).
 */
class ShippedLogConfigTest {
    private static LoggerContext configured(String format, String level) throws Exception {
        LoggerContext context = new LoggerContext();
        if (format != null) {
            context.putProperty("specserve.log.format", format);
        }
        if (level != null) {
            context.putProperty("specserve.log.level", level);
        }
        JoranConfigurator joran = new JoranConfigurator();
        joran.setContext(context);
        joran.doConfigure(ShippedLogConfigTest.class.getResource("/logback.xml"));
        return context;
    }

    @ParameterizedTest
    @ValueSource(strings = {"text", "json"})
    void each_format_configures_its_console_appender_without_error(String format) throws Exception {
        LoggerContext context = configured(format, "WARN");
        try {
            Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
            var appender = (ConsoleAppender<?>) root.getAppender("CONSOLE");

            assertThat(appender).as("the console appender").isNotNull();
            assertThat(appender.getEncoder()).isInstanceOf(format.equals("json") ? JsonEncoder.class
                    : PatternLayoutEncoder.class);
            assertThat(root.getLevel()).isEqualTo(Level.WARN);
            Logger access = context.getLogger("dev.specserve.access");
            assertThat(access.getAppender("ACCESS")).as("access lines through their queue")
                    .isInstanceOf(AccessLogAppender.class);
            assertThat(access.isAdditive()).as("written once").isFalse();
            assertThat(context.getStatusManager().getCopyOfStatusList()).filteredOn(s -> s.getLevel() >= Status.WARN)
                    .as("configuration problems").isEmpty();
        } finally {
            context.stop();
        }
    }

    @Test
    void without_settings_it_is_text_at_info() throws Exception {
        LoggerContext context = configured(null, null);
        try {
            Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
            assertThat(((ConsoleAppender<?>) root.getAppender("CONSOLE")).getEncoder())
                    .isInstanceOf(PatternLayoutEncoder.class);
            assertThat(root.getLevel()).isEqualTo(Level.INFO);
        } finally {
            context.stop();
        }
    }
}
