package io.towerrelay.proxy;

import io.towerrelay.admin.RelayMetrics;
import io.towerrelay.common.UserError;
import io.towerrelay.config.ConfigChanges;
import io.towerrelay.config.RelayConfig;
import io.towerrelay.edge.ConnectionGate;
import io.towerrelay.edge.HeadDeadline;
import io.towerrelay.edge.ProxyProtocol;
import io.towerrelay.edge.RequestScreen;
import io.towerrelay.http.ForwardedHeaders;
import io.towerrelay.logging.AccessLog;
import io.towerrelay.tls.ReloadableServerTls;
import io.towerrelay.tunnel.TunnelSettings;
import io.towerrelay.tunnel.WebSocketTunnels;
import io.towerrelay.upstream.HealthChecker;
import io.towerrelay.upstream.UpstreamRequests;
import java.security.cert.X509Certificate;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a reloaded config to the running relay (SIGHUP). Request and handshake paths never wait for it: each
 * new exchange reads the {@link ProxyServices} snapshot once, and the edge, tunnel and upstream parts each hold
 * their setting in one volatile field read once per connection, request or handshake. Nothing open is touched:
 * open tunnels and in-flight requests keep the node and settings they started with.
 */
final class RelayReloader {
    private static final Logger LOG = LoggerFactory.getLogger(RelayReloader.class);

    /** The parts of the running relay a reload changes. {@code proxyProtocol} and {@code listenerTls} may be null. */
    record Parts(AtomicReference<ProxyServices> services, RequestScreen screen, ConnectionGate gate,
            HeadDeadline headDeadline, ProxyProtocol proxyProtocol, WebSocketTunnels tunnels, SSLContext upstreamTls,
            HealthChecker health, ReloadableServerTls listenerTls, AccessLog accessLog, RelayMetrics metrics,
            String scheme) {
    }

    private final Parts parts;
    /**
     * HttpCore5's bounds are set from the limits at start (RelayServer: the HTTP/1.1 line length; H2Limits: the
     * HTTP/2 header list): raising a limit past them takes full effect only after a restart.
     */
    private final int lineBound;
    private final int headerBound;
    private volatile RelayConfig running;

    RelayReloader(Parts parts, RelayConfig started) {
        this.parts = parts;
        this.running = started;
        this.lineBound = Math.max(started.limits().maxRequestLineBytes(), started.limits().maxHeaderBytes()) * 2;
        this.headerBound = started.limits().maxHeaderBytes() * 2;
    }

    /** The config the relay runs with now (restart-only settings as at start). */
    RelayConfig running() {
        return running;
    }

    /**
     * Reads the config with {@code source} and applies it; never throws. An unusable config (a {@link UserError},
     * {@code FILE:LINE: key: what is wrong} from the loader) is one warning and changes nothing.
     *
     * @return what changed, or empty when the config was refused
     */
    synchronized Optional<ConfigChanges> reload(Supplier<RelayConfig> source, String from) {
        RelayConfig next;
        try {
            next = source.get();
        } catch (UserError | IllegalArgumentException e) {
            parts.metrics().configReloaded(false);
            LOG.warn("config NOT reloaded from {}, still running the previous one: {}", from, e.getMessage());
            return Optional.empty();
        }
        ConfigChanges changes = ConfigChanges.between(running, next);
        for (String key : changes.needRestart()) {
            LOG.warn("{}: takes effect after a restart", key);
        }
        RelayConfig effective = reloadCertificate(changes.effective());
        warnAboveBound("limits.max-request-line-bytes", effective.limits().maxRequestLineBytes(), lineBound);
        warnAboveBound("limits.max-header-bytes", effective.limits().maxHeaderBytes(), headerBound);
        apply(effective);
        running = effective;
        parts.metrics().configReloaded(true);
        LOG.info("config reloaded from {}: {}", from, changes.describe());
        return Optional.of(changes);
    }

    /** As before full reloads: the certificate and key are read again on every reload; unusable ones keep the old. */
    private RelayConfig reloadCertificate(RelayConfig next) {
        ReloadableServerTls tls = parts.listenerTls();
        if (tls == null) {
            return next;
        }
        try {
            X509Certificate leaf = tls.reload(next.listen().tls());
            LOG.info("reload: now serving certificate {} (expires {}) from {}", leaf.getSubjectX500Principal().getName(),
                    leaf.getNotAfter().toInstant(), next.listen().tls().certificate());
            return next;
        } catch (UserError e) {
            LOG.warn("reload: certificate NOT reloaded, still serving the previous one: {}", e.getMessage());
            return next.withListen(next.listen().withTls(running.listen().tls()));
        }
    }

    private static void warnAboveBound(String key, int value, int bound) {
        if (value > bound) {
            LOG.warn("{} changed to {}, over twice its value at start: HttpCore5's own bound ({} bytes) was set at start; "
                    + "takes effect in full after a restart", key, value, bound);
        }
    }

    private void apply(RelayConfig c) {
        ProxyServices before = parts.services().get();
        // Nodes first: the snapshot's upstream config and the node list then agree for every new exchange.
        before.nodes().update(c.upstream());
        before.upstream().timeouts(c.upstream().connectTimeout(), c.upstream().responseTimeout());
        parts.health().update(c.upstream().healthCheck());
        if (before.nodes().all().size() > 1) {
            parts.health().start(); // no-op when running; a lone node is not checked in the background
        }
        parts.tunnels().settings(new TunnelSettings(parts.upstreamTls(), c.upstream().connectTimeout(),
                c.websocket().handshakeTimeout(), c.websocket().idleTimeout(), c.websocket().allowedOrigins(),
                c.websocket().blockedPaths()));
        parts.screen().limits(c.limits());
        parts.gate().limits(c.limits());
        parts.headDeadline().timeout(c.limits().headerTimeout());
        if (parts.proxyProtocol() != null) {
            parts.proxyProtocol().reconfigure(c.forwarded(), c.limits().headerTimeout());
        }
        parts.accessLog().format(c.accessLog());
        parts.services().set(new ProxyServices(before.upstream(), before.nodes(), c.upstream(),
                new UpstreamRequests(c.upstream().url(), new ForwardedHeaders(c.forwarded()), parts.scheme()),
                before.metrics(), before.accessLog()));
    }
}
