package io.towerrelay.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Locale;
import java.util.Objects;
import org.apache.hc.core5.util.Timeout;

/**
 * Where Tower is: one or more web nodes ({@code nodes}, all http or all https, with no path); https is verified
 * against {@code caFile} when set, else the system trust store, unless {@code tlsVerify} is false (logged as a
 * warning at start). Every other setting applies to each node. {@code responseTimeout} is the longest the relay
 * waits for the upstream between two reads (like NGINX's proxy_read_timeout): past it a waiting client gets 504.
 * {@code poolSize} is the keep-alive pool of each node.
 */
public record UpstreamConfig(List<UpstreamNode> nodes, boolean tlsVerify, Path caFile, Timeout connectTimeout,
        Timeout responseTimeout, int poolSize, HealthCheckConfig healthCheck) {

    public static final Timeout DEFAULT_CONNECT_TIMEOUT = Timeout.ofSeconds(10);
    public static final Timeout DEFAULT_RESPONSE_TIMEOUT = Timeout.ofSeconds(60);
    public static final int DEFAULT_POOL_SIZE = 64;

    public UpstreamConfig {
        Objects.requireNonNull(connectTimeout, "upstream.connect-timeout");
        Objects.requireNonNull(responseTimeout, "upstream.response-timeout");
        Objects.requireNonNull(healthCheck, "upstream.health-check");
        nodes = nodes == null ? List.of() : List.copyOf(nodes);
        Set<String> seen = new HashSet<>();
        for (UpstreamNode node : nodes) {
            if (!node.url().getScheme().equalsIgnoreCase(nodes.get(0).url().getScheme())) {
                throw new IllegalArgumentException("upstream nodes must all be http or all https: " + nodes.get(0).url()
                        + " and " + node.url());
            }
            if (!seen.add(authority(node.url()))) {
                throw new IllegalArgumentException("upstream node " + node.url() + " is listed twice");
            }
        }
        if (!nodes.isEmpty() && nodes.stream().allMatch(UpstreamNode::drain)) {
            throw new IllegalArgumentException("every upstream node is set to drain: at least one must take traffic");
        }
        if (poolSize < 1) {
            throw new IllegalArgumentException("upstream.pool-size must be at least 1");
        }
    }

    /** The one-node form. */
    public UpstreamConfig(URI url, boolean tlsVerify, Path caFile, Timeout connectTimeout, Timeout responseTimeout,
            int poolSize) {
        this(url == null ? List.of() : List.of(UpstreamNode.of(url)), tlsVerify, caFile, connectTimeout,
                responseTimeout, poolSize, HealthCheckConfig.defaults());
    }

    public static UpstreamConfig defaults() {
        return new UpstreamConfig(List.of(), true, null, DEFAULT_CONNECT_TIMEOUT, DEFAULT_RESPONSE_TIMEOUT,
                DEFAULT_POOL_SIZE, HealthCheckConfig.defaults());
    }

    /** The first node's URL (the only one in the one-node form), or null when no node is set. */
    public URI url() {
        return nodes.isEmpty() ? null : nodes.get(0).url();
    }

    /** host:port of a node URL, the default port filled in: how nodes are named in logs, metrics and /healthz. */
    public static String authority(URI url) {
        int port = url.getPort() >= 0 ? url.getPort() : ("https".equalsIgnoreCase(url.getScheme()) ? 443 : 80);
        String host = url.getHost();
        return (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
    }

    /** Throws {@link IllegalArgumentException} saying what is wrong with an upstream URL. */
    public static void checkUrl(URI url) {
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("\"" + url + "\" must start with http:// or https://");
        }
        if (url.getHost() == null) {
            throw new IllegalArgumentException("\"" + url + "\" has no host");
        }
        if (url.getRawPath() != null && !url.getRawPath().isEmpty() && !url.getRawPath().equals("/")) {
            throw new IllegalArgumentException("\"" + url + "\" has a path; the relay forwards request paths unchanged, give only scheme://host:port");
        }
        if (url.getRawQuery() != null || url.getRawFragment() != null || url.getRawUserInfo() != null) {
            throw new IllegalArgumentException("\"" + url + "\" must be only scheme://host:port");
        }
    }

    public boolean https() {
        return url() != null && "https".equalsIgnoreCase(url().getScheme());
    }

    /** One node at {@code newUrl} (none when null). */
    public UpstreamConfig withUrl(URI newUrl) {
        return withNodes(newUrl == null ? List.of() : List.of(UpstreamNode.of(newUrl)));
    }

    public UpstreamConfig withNodes(List<UpstreamNode> newNodes) {
        return new UpstreamConfig(newNodes, tlsVerify, caFile, connectTimeout, responseTimeout, poolSize, healthCheck);
    }

    public UpstreamConfig withTls(boolean verify, Path newCaFile) {
        return new UpstreamConfig(nodes, verify, newCaFile, connectTimeout, responseTimeout, poolSize, healthCheck);
    }

    public UpstreamConfig withTimeouts(Timeout connect, Timeout response) {
        return new UpstreamConfig(nodes, tlsVerify, caFile, connect, response, poolSize, healthCheck);
    }

    public UpstreamConfig withPoolSize(int size) {
        return new UpstreamConfig(nodes, tlsVerify, caFile, connectTimeout, responseTimeout, size, healthCheck);
    }

    public UpstreamConfig withHealthCheck(HealthCheckConfig check) {
        return new UpstreamConfig(nodes, tlsVerify, caFile, connectTimeout, responseTimeout, poolSize, check);
    }
}
