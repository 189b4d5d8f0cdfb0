package io.towerrelay.config;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.hc.core5.util.Timeout;

/**
 * What a reload changes, from the running config to the one just read: the settings a running relay takes over
 * ({@link #applied}, one {@code key old->new} each, for the log) and those it can only take at the next start
 * ({@link #needRestart}, {@code key changed (old->new)} each). {@link #effective} is the config the relay runs with after the reload: the new one, with
 * every restart-only setting kept as it runs now, so a later reload warns again until the restart.
 *
 * <p>Restart-only, because they are built into the listener, the reactor or the upstream connections at start:
 * {@code listen.address}, {@code listen.tls} on or off, {@code listen.proxy-protocol}, {@code listen.http2},
 * {@code admin.address}, {@code upstream.tls-verify}, {@code upstream.ca-file}, {@code upstream.pool-size},
 * {@code io-threads}, and the nodes' scheme (http or https). The listener's certificate and key files are taken over
 * (and re-read on every reload).
 */
public record ConfigChanges(RelayConfig effective, List<String> applied, List<String> needRestart) {

    public ConfigChanges {
        Objects.requireNonNull(effective, "effective");
        applied = List.copyOf(applied);
        needRestart = List.copyOf(needRestart);
    }

    /** The changes from {@code running} to {@code next}; a config without restart-only changes is taken as it is. */
    public static ConfigChanges between(RelayConfig running, RelayConfig next) {
        List<String> applied = new ArrayList<>();
        List<String> restart = new ArrayList<>();

        // listen: only the TLS files can change while running
        ListenConfig listen = running.listen();
        restartOnly(restart, "listen.address", listen.address(), next.listen().address(), Addresses::format);
        if (listen.tlsEnabled() != next.listen().tlsEnabled()) {
            restart.add("listen.tls changed (" + onOff(listen.tlsEnabled()) + "->" + onOff(next.listen().tlsEnabled()) + ")");
        } else if (listen.tlsEnabled()) {
            change(applied, "listen.tls.certificate", listen.tls().certificate(), next.listen().tls().certificate(),
                    Object::toString);
            change(applied, "listen.tls.key", listen.tls().key(), next.listen().tls().key(), Object::toString);
            listen = listen.withTls(next.listen().tls());
        }
        restartOnly(restart, "listen.proxy-protocol", listen.proxyProtocol(), next.listen().proxyProtocol(), String::valueOf);
        restartOnly(restart, "listen.http2", listen.http2(), next.listen().http2(), String::valueOf);
        restartOnly(restart, "admin.address", running.admin().address(), next.admin().address(),
                a -> a == null ? "off" : Addresses.format(a));

        UpstreamConfig up = running.upstream();
        UpstreamConfig nextUp = next.upstream();
        restartOnly(restart, "upstream.tls-verify", up.tlsVerify(), nextUp.tlsVerify(), String::valueOf);
        restartOnly(restart, "upstream.ca-file", up.caFile(), nextUp.caFile(), p -> p == null ? "(none)" : p.toString());
        restartOnly(restart, "upstream.pool-size", up.poolSize(), nextUp.poolSize(), String::valueOf);
        List<UpstreamNode> nodes = up.nodes();
        if (up.https() != nextUp.https()) {
            restart.add("upstream.nodes changed (" + scheme(up) + "->" + scheme(nextUp) + "; the node list stays as it is)");
        } else {
            String nodeChanges = nodeChanges(up.nodes(), nextUp.nodes());
            if (!nodeChanges.isEmpty()) {
                applied.add("upstream.nodes " + nodeChanges);
            }
            nodes = nextUp.nodes();
        }
        change(applied, "upstream.connect-timeout", up.connectTimeout(), nextUp.connectTimeout(), Durations::format);
        change(applied, "upstream.response-timeout", up.responseTimeout(), nextUp.responseTimeout(), Durations::format);
        HealthCheckConfig check = up.healthCheck();
        HealthCheckConfig nextCheck = nextUp.healthCheck();
        change(applied, "upstream.health-check.path", check.path(), nextCheck.path(), String::valueOf);
        change(applied, "upstream.health-check.interval", check.interval(), nextCheck.interval(), Durations::format);
        change(applied, "upstream.health-check.timeout", check.timeout(), nextCheck.timeout(), Durations::format);
        change(applied, "upstream.health-check.fall", check.fall(), nextCheck.fall(), String::valueOf);
        change(applied, "upstream.health-check.rise", check.rise(), nextCheck.rise(), String::valueOf);

        WebSocketConfig ws = running.websocket();
        WebSocketConfig nextWs = next.websocket();
        change(applied, "websocket.idle-timeout", ws.idleTimeout(), nextWs.idleTimeout(), Durations::format);
        change(applied, "websocket.handshake-timeout", ws.handshakeTimeout(), nextWs.handshakeTimeout(), Durations::format);
        change(applied, "websocket.allowed-origins", ws.allowedOrigins(), nextWs.allowedOrigins(), ConfigChanges::list);
        change(applied, "websocket.blocked-paths", ws.blockedPaths(), nextWs.blockedPaths(), ConfigChanges::list);

        change(applied, "forwarded.trusted-proxies", running.forwarded().trustedProxies(),
                next.forwarded().trustedProxies(), ConfigChanges::list);

        LimitsConfig limits = running.limits();
        LimitsConfig nextLimits = next.limits();
        change(applied, "limits.max-request-line-bytes", limits.maxRequestLineBytes(), nextLimits.maxRequestLineBytes(),
                String::valueOf);
        change(applied, "limits.max-header-bytes", limits.maxHeaderBytes(), nextLimits.maxHeaderBytes(), String::valueOf);
        change(applied, "limits.max-connections", limits.maxConnections(), nextLimits.maxConnections(), String::valueOf);
        change(applied, "limits.client-idle-timeout", limits.clientIdleTimeout(), nextLimits.clientIdleTimeout(),
                Durations::format);
        change(applied, "limits.header-timeout", limits.headerTimeout(), nextLimits.headerTimeout(), Durations::format);

        change(applied, "access-log", running.accessLog(), next.accessLog(), AccessLogFormat::configName);
        change(applied, "shutdown-grace", running.shutdownGrace(), next.shutdownGrace(), Durations::format);
        restartOnly(restart, "io-threads", running.ioThreads(), next.ioThreads(), ConfigChanges::threads);

        RelayConfig effective = next
                .withIoThreads(running.ioThreads())
                .withListen(listen)
                .withAdmin(running.admin().address())
                .withUpstream(new UpstreamConfig(nodes, up.tlsVerify(), up.caFile(), nextUp.connectTimeout(),
                        nextUp.responseTimeout(), up.poolSize(), nextUp.healthCheck()));
        return new ConfigChanges(effective, applied, restart);
    }

    private static String threads(int ioThreads) {
        return ioThreads == RelayConfig.AUTO_IO_THREADS ? "auto" : String.valueOf(ioThreads);
    }

    /** True when the reload changes nothing the relay would take over. */
    public boolean noneApplied() {
        return applied.isEmpty();
    }

    /** For the log line: {@code key old->new, key old->new}, or {@code no changes}. */
    public String describe() {
        return applied.isEmpty() ? "no changes" : String.join(", ", applied);
    }

    /**
     * The node list as a diff: {@code +URL} added, {@code -URL} removed, {@code URL drain} / {@code URL undrain} for a
     * node that stays. Nodes are the same node when their host:port is.
     */
    static String nodeChanges(List<UpstreamNode> before, List<UpstreamNode> after) {
        Map<String, UpstreamNode> old = byAuthority(before);
        Map<String, UpstreamNode> now = byAuthority(after);
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, UpstreamNode> e : now.entrySet()) {
            UpstreamNode was = old.get(e.getKey());
            if (was == null) {
                parts.add("+" + e.getValue().url() + (e.getValue().drain() ? " (drain)" : ""));
            } else if (was.drain() != e.getValue().drain()) {
                parts.add(e.getValue().url() + (e.getValue().drain() ? " drain" : " undrain"));
            }
        }
        for (Map.Entry<String, UpstreamNode> e : old.entrySet()) {
            if (!now.containsKey(e.getKey())) {
                parts.add("-" + e.getValue().url());
            }
        }
        return String.join(" ", parts);
    }

    private static Map<String, UpstreamNode> byAuthority(List<UpstreamNode> nodes) {
        Map<String, UpstreamNode> map = new LinkedHashMap<>();
        for (UpstreamNode node : nodes) {
            map.put(UpstreamConfig.authority(node.url()), node);
        }
        return map;
    }

    private static String onOff(boolean on) {
        return on ? "on" : "off";
    }

    private static String scheme(UpstreamConfig upstream) {
        URI url = upstream.url();
        return url == null ? "none" : url.getScheme();
    }

    private static <T> void change(List<String> out, String key, T before, T after, Function<T, String> show) {
        if (!same(before, after)) {
            out.add(key + " " + show.apply(before) + "->" + show.apply(after));
        }
    }

    private static <T> void restartOnly(List<String> out, String key, T before, T after, Function<T, String> show) {
        if (!same(before, after)) {
            out.add(key + " changed (" + show.apply(before) + "->" + show.apply(after) + ")");
        }
    }

    /** Timeouts compare by length (Timeout has no equals across units); sets by content; the rest by equals. */
    private static boolean same(Object a, Object b) {
        if (a instanceof Timeout ta && b instanceof Timeout tb) {
            return ta.toMilliseconds() == tb.toMilliseconds();
        }
        if (a instanceof InetSocketAddress sa && b instanceof InetSocketAddress sb) {
            return Addresses.format(sa).equals(Addresses.format(sb));
        }
        return Objects.equals(a, b);
    }

    private static String list(Collection<?> values) {
        return values.stream().map(String::valueOf).sorted().collect(Collectors.joining(",", "[", "]"));
    }
}
