package io.towerrelay.common;

/**
 * The relay's version: the POM's, which the build writes into the jar manifest as Implementation-Version.
 * Read in one place so {@code --version}, {@code /healthz} and {@code towerrelay_build_info} always agree.
 */
public final class RelayVersion {
    /** What runs from compiled classes rather than the built jar (an IDE, unit tests) reports. */
    public static final String DEVELOPMENT = "development";

    private static final String CURRENT = read();

    private RelayVersion() {
    }

    /** The version, e.g. {@code 0.1.0}, or {@link #DEVELOPMENT} outside the built jar. */
    public static String current() {
        return CURRENT;
    }

    private static String read() {
        String version = RelayVersion.class.getPackage().getImplementationVersion();
        return version == null || version.isBlank() ? DEVELOPMENT : version;
    }
}
