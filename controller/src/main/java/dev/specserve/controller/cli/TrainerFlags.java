package dev.specserve.controller.cli;

import dev.specserve.controller.config.ConfigKey;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** Adds serve's flags for {@link TrainerCommand#KEYS}. */
final class TrainerFlags implements CommandLine.IModelTransformer {
    @Override
    public CommandSpec transform(CommandSpec spec) {
        for (ConfigKey k : TrainerCommand.KEYS) {
            String dflt = k.defaultValue() == null ? "unset" : k.defaultValue();
            String description = k == ConfigKey.KAFKA_BOOTSTRAP // the trainer has no embedded broker to start
                    ? "Kafka bootstrap servers the replicas publish their feedback to (HOST:PORT,...); required"
                    : k.description();
            spec.addOption(OptionSpec.builder(k.flag()).type(String.class)
                    .paramLabel(k == ConfigKey.KAFKA_BOOTSTRAP ? "HOST:PORT" : ServeCommand.ConfigFlags.label(k))
                    .description(description + " [env " + k.env() + "; default " + dflt + "]").build());
        }
        return spec;
    }
}
