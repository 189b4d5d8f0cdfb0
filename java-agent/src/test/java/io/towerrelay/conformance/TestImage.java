package io.towerrelay.conformance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.testcontainers.DockerClientFactory;

/**
 * The local test image and the Docker engine, as {@code scripts/test-env.sh} leaves them: the tag comes
 * from {@code build/test-image.env}. Without Docker or the image, container tests are skipped with a
 * message saying how to get them, except in CI ({@code CI=true}), where they fail instead: CI must
 * never pass by skipping its container tests.
 */
final class TestImage {

    static final String HOW_TO_ENABLE =
            "run `bash scripts/test-env.sh` as root (installs Docker, starts dockerd, builds the local test image)";

    private TestImage() {}

    /** The repository root: failsafe passes it; run from java-agent/ otherwise. */
    static Path repoRoot() {
        String configured = System.getProperty("towerrelay.repo");
        Path root = configured != null ? Path.of(configured) : Path.of("").toAbsolutePath().getParent();
        return root.toAbsolutePath().normalize();
    }

    /**
     * The tag of the local test image, after checking Docker is there; skips (or in CI fails) the calling
     * test class when it is not.
     */
    static String requireImage() {
        Path envFile = repoRoot().resolve("build/test-image.env");
        Map<String, String> env = readEnvFile(envFile);
        String tag = System.getenv().getOrDefault("TOWER_RELAY_TEST_IMAGE", env.get("TOWER_RELAY_TEST_IMAGE"));
        if (tag == null || tag.isBlank()) {
            unavailable("no test image: " + envFile + " is missing");
        }
        // Testcontainers 2.0 asks the engine for API 1.44 unless told; Debian bookworm's engine (20.10)
        // speaks 1.41 at most and refuses newer clients. docker-java reads the version from api.version.
        String apiVersion = System.getenv().getOrDefault("DOCKER_API_VERSION", env.get("DOCKER_API_VERSION"));
        if (apiVersion != null && System.getProperty("api.version") == null) {
            System.setProperty("api.version", apiVersion);
        }
        if (!DockerClientFactory.instance().isDockerAvailable()) {
            unavailable("no Docker engine answers on this machine");
        }
        try {
            DockerClientFactory.instance().client().inspectImageCmd(tag).exec();
        } catch (RuntimeException e) {
            unavailable("the test image " + tag + " is not in the local Docker engine (" + e.getMessage() + ")");
        }
        return tag;
    }

    private static void unavailable(String why) {
        String message = "container tests need Docker and the local test image: " + why + "; " + HOW_TO_ENABLE;
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new IllegalStateException("CI=true, so container tests must run, not skip: " + message);
        }
        // Printed as well: Maven's summary shows a class skipped in @BeforeAll as "Tests run: 0".
        System.err.println("SKIPPED " + message);
        Assumptions.abort(message);
    }

    private static Map<String, String> readEnvFile(Path file) {
        Map<String, String> values = new LinkedHashMap<>();
        if (!Files.isRegularFile(file)) {
            return values;
        }
        try {
            for (String line : Files.readAllLines(file)) {
                int eq = line.indexOf('=');
                if (eq > 0 && !line.startsWith("#")) {
                    values.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file, e);
        }
        return values;
    }
}
