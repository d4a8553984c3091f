package dev.specserve.controller.cli;

import dev.specserve.controller.server.BuildInfo;
import picocli.CommandLine;

/** {@code specserve --version}: the Maven version and the git commit of the build (see {@link BuildInfo}). */
final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        return new String[] {BuildInfo.current().describe()};
    }
}
