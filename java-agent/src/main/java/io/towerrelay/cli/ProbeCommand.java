package io.towerrelay.cli;

import io.towerrelay.common.UserError;
import io.towerrelay.probe.LiveEventsProbe;
import io.towerrelay.probe.ProbeOptions;
import io.towerrelay.probe.ProbeReport;
import io.towerrelay.probe.ReportWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code probe URL}: does what the Tower UI does through the proxy in front of Tower, and says what is wrong. */
@Command(
        name = "probe",
        mixinStandardHelpOptions = true,
        description = {
            "Checks that Tower's live events (WebSockets) work through the proxy at URL, the way the Tower UI uses"
                    + " them, and names the cause and the fix when they do not.",
            "Exit status: 0 live events work, 1 they do not, 2 usage error."
        })
public final class ProbeCommand implements Callable<Integer> {

    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)?");

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "URL", description = "Tower's URL as users open it, e.g. https://tower.example.com/")
    String url;

    @Option(names = "--json", description = "Print one JSON document (schema in docs/probe.md) instead of the report.")
    boolean json;

    @Option(names = "--idle", paramLabel = "SECONDS", defaultValue = "0",
            description = "Also stay idle this long on the socket and check it survives (e.g. 90 to cover NGINX's 60 s default).")
    long idleSeconds;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10s",
            description = "How long to wait for each step: 10s, 500ms, 1m (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = "--ca", paramLabel = "FILE", description = "PEM file of the CA that signed the proxy's certificate.")
    Path caFile;

    @Option(names = "--insecure", description = "Do not verify the proxy's certificate (to test the rest anyway).")
    boolean insecure;

    @Option(names = "--user", paramLabel = "USER", description = "Tower user: log in like the UI, read REMOTE_HOST_HEADERS.")
    String user;

    @Option(names = "--password", paramLabel = "PASSWORD", description = "That user's password.")
    String password;

    @Option(names = "--events", paramLabel = "N", defaultValue = "3", description = "Job events to wait for (default: ${DEFAULT-VALUE}).")
    int events;

    @Option(names = "--job", paramLabel = "ID", defaultValue = "1",
            description = "Job whose events to subscribe to; on a real Tower, a running job (default: ${DEFAULT-VALUE}).")
    String job;

    @Override
    public Integer call() throws InterruptedException {
        ProbeOptions options = options();
        var err = spec.commandLine().getErr();
        ProbeReport report = new LiveEventsProbe(options, step -> {
            if (!json) {
                err.println("probe: " + step + " ...");
                err.flush();
            }
        }).run();
        var out = spec.commandLine().getOut();
        out.print(json ? ReportWriter.json(report) + "\n" : ReportWriter.human(report));
        out.flush();
        return report.exitCode();
    }

    ProbeOptions options() {
        URI uri = parseUrl(url);
        if (caFile != null && insecure) {
            throw new UserError("--ca and --insecure exclude each other: trust a CA, or trust nothing");
        }
        if (caFile != null && !Files.isReadable(caFile)) {
            throw new UserError("--ca " + caFile + ": file not found or not readable");
        }
        if ((user == null) != (password == null)) {
            throw new UserError("--user and --password go together");
        }
        if (idleSeconds < 0) {
            throw new UserError("--idle " + idleSeconds + ": must be 0 or more seconds");
        }
        if (!job.matches("\\d+")) {
            throw new UserError("--job " + job + ": must be a job id (a number)");
        }
        if (events < 1) {
            throw new UserError("--events " + events + ": must be at least 1");
        }
        Duration wait = parseDuration("--timeout", timeout);
        try {
            ProbeOptions options = new ProbeOptions(uri, wait, Duration.ofSeconds(idleSeconds), caFile, insecure,
                    user, password, events, job);
            if (caFile != null) {
                ProbeOptions.checkCaFile(caFile);
            }
            return options;
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage(), e);
        }
    }

    static URI parseUrl(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new UserError("URL " + url + ": " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (scheme.equals("ws") || scheme.equals("wss")) {
            throw new UserError("URL " + url + ": give Tower's page URL (http:// or https://); the probe opens the"
                    + " WebSocket from it like the UI does");
        }
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new UserError("URL " + url + ": must start with http:// or https://");
        }
        if (uri.getHost() == null) {
            throw new UserError("URL " + url + ": no host");
        }
        return uri.getPath() == null || uri.getPath().isEmpty() ? uri.resolve("/") : uri;
    }

    static Duration parseDuration(String option, String value) {
        Matcher m = DURATION.matcher(value.strip());
        if (!m.matches()) {
            throw new UserError(option + " " + value + ": expected a duration like 10s, 500ms, 2m");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        Duration d = switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofSeconds(n);
        };
        if (d.isZero()) {
            throw new UserError(option + " " + value + ": must be more than zero");
        }
        return d;
    }
}
