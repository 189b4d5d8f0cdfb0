package io.towerrelay.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import org.apache.hc.core5.util.Timeout;

/**
 * Where Tower is. {@code url} is http or https with no path; https is verified against {@code caFile} when set,
 * else the system trust store, unless {@code tlsVerify} is false (logged as a warning at start).
 * {@code responseTimeout} is the longest the relay waits for the upstream between two reads (like NGINX's
 * proxy_read_timeout): past it a waiting client gets 504.
 */
public record UpstreamConfig(
        URI url, boolean tlsVerify, Path caFile, Timeout connectTimeout, Timeout responseTimeout, int poolSize) {

    public static final Timeout DEFAULT_CONNECT_TIMEOUT = Timeout.ofSeconds(10);
    public static final Timeout DEFAULT_RESPONSE_TIMEOUT = Timeout.ofSeconds(60);
    public static final int DEFAULT_POOL_SIZE = 64;

    public UpstreamConfig {
        Objects.requireNonNull(connectTimeout, "upstream.connect-timeout");
        Objects.requireNonNull(responseTimeout, "upstream.response-timeout");
        if (url != null) {
            checkUrl(url);
        }
        if (poolSize < 1) {
            throw new IllegalArgumentException("upstream.pool-size must be at least 1");
        }
    }

    public static UpstreamConfig defaults() {
        return new UpstreamConfig(null, true, null, DEFAULT_CONNECT_TIMEOUT, DEFAULT_RESPONSE_TIMEOUT, DEFAULT_POOL_SIZE);
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
        return url != null && "https".equalsIgnoreCase(url.getScheme());
    }

    public UpstreamConfig withUrl(URI newUrl) {
        return new UpstreamConfig(newUrl, tlsVerify, caFile, connectTimeout, responseTimeout, poolSize);
    }

    public UpstreamConfig withTls(boolean verify, Path newCaFile) {
        return new UpstreamConfig(url, verify, newCaFile, connectTimeout, responseTimeout, poolSize);
    }

    public UpstreamConfig withTimeouts(Timeout connect, Timeout response) {
        return new UpstreamConfig(url, tlsVerify, caFile, connect, response, poolSize);
    }

    public UpstreamConfig withPoolSize(int size) {
        return new UpstreamConfig(url, tlsVerify, caFile, connectTimeout, responseTimeout, size);
    }
}
