package io.towerrelay.cli;

import io.towerrelay.common.UserError;
import io.towerrelay.config.Addresses;
import io.towerrelay.config.ConfigException;
import io.towerrelay.config.RelayConfig;
import io.towerrelay.config.RelayConfigLoader;
import io.towerrelay.config.UpstreamConfig;
import io.towerrelay.config.UpstreamNode;
import io.towerrelay.proxy.RelayServer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/** {@code serve}: runs the relay until SIGTERM or SIGINT, then shuts down gracefully and exits 0. */
@Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Run the relay: proxy HTTP and tunnel WebSockets to Tower.",
            "Flags override the config file. SIGTERM stops accepting, lets in-flight requests finish "
                + "(shutdown-grace), then exits 0. SIGHUP (systemctl reload) reads the config file again, with the "
                + "flags on top, and applies it to new connections, requests and WebSocket handshakes: nodes, "
                + "timeouts, limits, origins, blocked paths, trusted proxies, access log, TLS certificate and key. "
                + "Open tunnels and requests are never cut. A file with an error is logged (FILE:LINE) and the "
                + "running config stays; listen address, listen.tls on/off, proxy-protocol, http2, admin, "
                + "upstream tls-verify, ca-file and pool-size need a restart (logged when changed)."})
public final class ServeCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);

    @Spec
    CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE", description = "YAML config file (every key: docs/configuration.md).")
    Path config;

    @Option(names = "--listen", paramLabel = "HOST:PORT", description = "Public listener, e.g. 0.0.0.0:8080 (default 0.0.0.0:8080).")
    String listen;

    @Option(names = "--upstream", paramLabel = "URL", description = {"Tower's URL, e.g. http://127.0.0.1:8052 or https://tower.internal.",
        "Repeat it for each node of a Tower cluster (all http or all https); given, it replaces the file's upstream.url / upstream.nodes."})
    List<String> upstream;

    @Option(names = "--admin", paramLabel = "HOST:PORT|off", description = "Admin listener for /healthz and /metrics (default 127.0.0.1:9180).")
    String admin;

    @Override
    public Integer call() throws IOException, InterruptedException {
        RelayConfig relayConfig;
        try {
            relayConfig = effectiveConfig();
        } catch (ConfigException e) {
            spec.commandLine().getErr().println(e.getMessage());
            return 2;
        }
        // The relay formats nothing in the host's locale (its own text uses Locale.ROOT). HttpCore5 names every
        // connection with String.format, and on Java 17 a format locale other than en-US builds that locale's number
        // symbols for each call: 4 % of the I/O threads' samples with a new connection per request (JFR, locale "en").
        Locale.setDefault(Locale.Category.FORMAT, Locale.US);
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("TERM"), signal -> stop.countDown());
        Signal.handle(new Signal("INT"), signal -> stop.countDown());
        // systemctl reload (a config change, certbot/ACME renewal hooks): read the config again and apply it. Handled
        // from the start, since the JVM's default for SIGHUP is to exit; during start-up the file is being read anyway.
        AtomicReference<RelayServer> running = new AtomicReference<>();
        SignalHandler previous = Signal.handle(new Signal("HUP"), signal -> {
            RelayServer server = running.get();
            if (server != null) {
                server.reload(this::effectiveConfig, config == null ? "the command line" : config.toString());
            }
        });
        if (previous == SignalHandler.SIG_IGN) {
            // Started with SIGHUP ignored (nohup, or a parent that ignores it): the JVM then keeps it ignored and
            // never calls the handler, so a reload would silently do nothing. Found when a test run under nohup
            // made CertificateReloadIT fail.
            LOG.warn("SIGHUP is ignored by this process (inherited, e.g. from nohup): the config and TLS certificate "
                    + "will not be reloaded on SIGHUP; restart the relay to apply a changed config");
        }
        try (RelayServer server = RelayServer.start(relayConfig)) {
            running.set(server);
            LOG.info("config: {}", config == null ? "(flags only)" : config.toAbsolutePath());
            stop.await();
        }
        return 0;
    }

    /** The file's settings (or the defaults) with every given flag applied on top. */
    RelayConfig effectiveConfig() {
        RelayConfig result;
        if (config != null) {
            result = upstream != null ? RelayConfigLoader.loadWithoutUpstream(config) : RelayConfigLoader.load(config);
        } else {
            result = RelayConfig.defaults();
        }
        if (listen != null) {
            result = result.withListen(flag("--listen", () -> Addresses.parse(listen)));
        }
        if (upstream != null) {
            List<UpstreamNode> nodes = new ArrayList<>();
            for (String url : upstream) {
                nodes.add(UpstreamNode.of(flag("--upstream", () -> RelayConfigLoader.upstreamUrl(url))));
            }
            UpstreamConfig current = result.upstream();
            result = result.withUpstream(flag("--upstream", () -> current.withNodes(nodes)));
            if (result.upstream().caFile() != null && !result.upstream().https()) {
                throw new UserError("--upstream " + upstream.get(0) + " is not https but upstream.ca-file is set in " + config);
            }
        }
        if (admin != null) {
            result = result.withAdmin(admin.trim().equalsIgnoreCase("off") ? null : flag("--admin", () -> Addresses.parse(admin)));
        }
        if (result.upstream().url() == null) {
            throw new UserError("no upstream: give --upstream URL" + (config == null ? " or --config FILE" : " or set upstream.url in " + config));
        }
        return result;
    }

    private static <T> T flag(String name, java.util.function.Supplier<T> parse) {
        try {
            return parse.get();
        } catch (IllegalArgumentException e) {
            throw new UserError(name + ": " + e.getMessage());
        }
    }
}
