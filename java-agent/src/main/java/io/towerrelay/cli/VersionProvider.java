package io.towerrelay.cli;

import picocli.CommandLine;

/** Reads the version the build wrote into the jar's manifest. */
final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String version = Main.class.getPackage().getImplementationVersion();
        return new String[] {"tower-relay " + (version == null ? "(development build)" : version)};
    }
}
