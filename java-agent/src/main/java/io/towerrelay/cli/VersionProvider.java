package io.towerrelay.cli;

import io.towerrelay.common.RelayVersion;
import picocli.CommandLine;

/** {@code --version}: the version the build wrote into the jar's manifest. */
final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String version = RelayVersion.current();
        return new String[] {"tower-relay " + (RelayVersion.DEVELOPMENT.equals(version) ? "(development build)" : version)};
    }
}
