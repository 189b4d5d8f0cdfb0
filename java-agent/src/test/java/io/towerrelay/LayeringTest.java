package io.towerrelay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Packages depend downwards only: a class may use its own package and the packages listed before it in
 * {@link #LAYERS}, never one listed after it. This list is the one place the order is declared
 * (docs/architecture.md explains it). A new package must be added here, at the height it belongs.
 */
class LayeringTest {

    /** Lowest first. */
    static final List<String> LAYERS = List.of(
            "common",   // the error type every layer may throw (UserError)
            "config",   // the YAML model and its loader
            "logging",  // the background log writer, the access log and its record
            "admin",    // metrics and the admin listener (fed by the layers above)
            "http",     // HTTP/1.1 head rules shared by proxying and tunnelling
            "flow",     // per-direction buffers and their pools (backpressure)
            "reactor",  // HttpCore5 session-level helpers
            "tls",      // certificates, keys, TLS contexts and strategies
            "server",   // the relay's HTTP/1.1 server on each client connection
            "edge",     // what the public listener enforces before proxying: limits, deadlines, screening
            "h2",       // HTTP/2 on the listener: protocol choice by ALPN, the frame screen, lingering close
            "upstream", // the upstream connections and what goes to them
            "tunnel",   // WebSocket handshakes and byte tunnels
            "proxy",    // the relay: exchanges, dispatch, server assembly
            "mock",     // the mock Tower
            "probe",    // the live-events probe
            "cli");     // the command line

    private static final Path MAIN = Path.of("src/main/java/io/towerrelay");
    private static final Pattern REFERENCE = Pattern.compile("\\bio\\.towerrelay\\.([a-z][a-z0-9_]*)\\.");

    @Test
    void everyPackageIsPlacedInTheOrder() throws IOException {
        Set<String> packages = new TreeSet<>();
        try (Stream<Path> dirs = Files.list(MAIN)) {
            dirs.filter(Files::isDirectory).forEach(d -> packages.add(d.getFileName().toString()));
        }
        assertThat(packages).isNotEmpty();
        assertThat(LAYERS).as("packages under %s missing from LayeringTest.LAYERS", MAIN).containsAll(packages);
    }

    @Test
    void noPackageUsesOneAboveIt() throws IOException {
        List<String> violations = new ArrayList<>();
        int files = 0;
        try (Stream<Path> sources = Files.walk(MAIN)) {
            for (Path source : (Iterable<Path>) sources.filter(p -> p.toString().endsWith(".java"))::iterator) {
                files++;
                String pkg = MAIN.relativize(source).getName(0).toString();
                violations.addAll(upwardReferences(pkg, MAIN.relativize(source).toString(), read(source)));
            }
        }
        assertThat(files).as("Java sources scanned under %s", MAIN).isGreaterThan(50);
        assertThat(violations).as("references to a package above (order, lowest first: %s)", LAYERS).isEmpty();
    }

    @Test
    void theScanCatchesAnUpwardImportAndIgnoresCommentsAndStrings() {
        String source = """
                package io.towerrelay.config;
                // io.towerrelay.cli.Main in a comment is not a dependency
                /* nor io.towerrelay.proxy.RelayServer here */
                import io.towerrelay.common.UserError;
                import io.towerrelay.cli.Main;
                class X { String s = "io.towerrelay.proxy.Y"; Object o = io.towerrelay.tunnel.Tunnel.class; }
                """;
        assertThat(upwardReferences("config", "config/X.java", source))
                .containsExactly("config/X.java uses io.towerrelay.cli (cli is above config)",
                        "config/X.java uses io.towerrelay.tunnel (tunnel is above config)");
    }

    /** The packages above {@code pkg} that {@code source} names, outside comments and string literals. */
    static List<String> upwardReferences(String pkg, String file, String source) {
        int height = LAYERS.indexOf(pkg);
        List<String> found = new ArrayList<>();
        Set<String> seen = new TreeSet<>();
        Matcher m = REFERENCE.matcher(codeOnly(source));
        while (m.find()) {
            String used = m.group(1);
            if (!used.equals(pkg) && seen.add(used) && (height < 0 || LAYERS.indexOf(used) > height)) {
                found.add(file + " uses io.towerrelay." + used + " (" + used
                        + (LAYERS.contains(used) ? " is above " + pkg : " is not in LayeringTest.LAYERS") + ")");
            }
        }
        return found;
    }

    /** The source with comments and string/char literals blanked out (the package line is dropped too). */
    static String codeOnly(String source) {
        StringBuilder out = new StringBuilder(source.length());
        int i = 0;
        int n = source.length();
        while (i < n) {
            char c = source.charAt(i);
            if (c == '/' && i + 1 < n && source.charAt(i + 1) == '/') {
                int end = source.indexOf('\n', i);
                i = end < 0 ? n : end;
            } else if (c == '/' && i + 1 < n && source.charAt(i + 1) == '*') {
                int end = source.indexOf("*/", i + 2);
                i = end < 0 ? n : end + 2;
                out.append(' ');
            } else if (source.startsWith("\"\"\"", i)) {
                int end = source.indexOf("\"\"\"", i + 3);
                i = end < 0 ? n : end + 3;
                out.append("\"\"");
            } else if (c == '"' || c == '\'') {
                int j = i + 1;
                while (j < n && source.charAt(j) != c && source.charAt(j) != '\n') {
                    j += source.charAt(j) == '\\' ? 2 : 1;
                }
                i = Math.min(n, j + 1);
                out.append(c).append(c);
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString().replaceFirst("(?m)^\\s*package\\s+[\\w.]+\\s*;", "");
    }

    private static String read(Path source) {
        try {
            return Files.readString(source);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
