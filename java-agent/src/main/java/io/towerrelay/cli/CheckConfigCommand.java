package io.towerrelay.cli;

import io.towerrelay.common.UserError;
import io.towerrelay.config.ConfigException;
import io.towerrelay.config.Durations;
import io.towerrelay.config.HealthCheckConfig;
import io.towerrelay.config.UpstreamNode;
import io.towerrelay.config.RelayConfig;
import io.towerrelay.config.RelayConfigLoader;
import io.towerrelay.tls.TlsContexts;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code check-config FILE}: exit 0 when the relay would start with this file, else exit 2 with one line
 * {@code FILE:LINE: key: what is wrong}. The Ansible role runs it before restarting the service.
 */
@Command(name = "check-config", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Check a config file without starting the relay: exit 0 if it is usable, else 2 and FILE:LINE: key: problem.")
public final class CheckConfigCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "The YAML config file.")
    Path file;

    @Override
    public Integer call() {
        RelayConfig config;
        try {
            config = RelayConfigLoader.load(file);
        } catch (ConfigException e) {
            spec.commandLine().getErr().println(e.getMessage());
            return 2;
        }
        // The certificate files exist (the loader checked); make sure they are usable too.
        if (config.listen().tlsEnabled()) {
            try {
                TlsContexts.server(config.listen().tls());
            } catch (UserError e) {
                spec.commandLine().getErr().println(file + ":" + "0: listen.tls: " + e.getMessage());
                return 2;
            }
        }
        try {
            TlsContexts.upstream(config.upstream());
        } catch (UserError e) {
            spec.commandLine().getErr().println(file + ":0: upstream.ca-file: " + e.getMessage());
            return 2;
        }
        var nodes = config.upstream().nodes();
        spec.commandLine().getOut().println(file + ": OK (listen " + config.listen().address() + ", upstream "
                + (nodes.size() == 1 ? nodes.get(0).url() : nodes.size() + " nodes") + ")");
        if (nodes.size() > 1) {
            HealthCheckConfig check = config.upstream().healthCheck();
            for (UpstreamNode node : nodes) {
                spec.commandLine().getOut().println("  node " + node.url() + (node.drain() ? " (drain: no new requests or tunnels)" : ""));
            }
            spec.commandLine().getOut().println("  health check: GET " + check.path() + " every " + Durations.format(check.interval())
                    + ", timeout " + Durations.format(check.timeout()) + ", down after " + check.fall() + " failure(s), up after "
                    + check.rise() + " pass(es)");
        }
        return 0;
    }
}
