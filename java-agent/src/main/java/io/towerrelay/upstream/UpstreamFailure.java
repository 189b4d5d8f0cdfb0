package io.towerrelay.upstream;

import io.towerrelay.config.Durations;
import io.towerrelay.config.UpstreamConfig;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;
import org.apache.hc.core5.http.ConnectionClosedException;

/** Turns an upstream exception into the status, metric kind and one-line reason the client and the log get. */
public record UpstreamFailure(int status, String kind, String reason) {

    /**
     * @param connecting true when the failure came before a connection to the upstream existed
     * @param node       the node the request went to
     */
    public static UpstreamFailure classify(Throwable error, boolean connecting, UpstreamConfig config, Node node) {
        String upstream = node.name();
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof NoRouteToHostException) {
                return new UpstreamFailure(502, "connect_refused", "upstream " + upstream + " refused the connection");
            }
            if (t instanceof UnknownHostException) {
                return new UpstreamFailure(502, "dns", "upstream host " + node.url().getHost() + " cannot be resolved");
            }
            if (t instanceof SSLException) {
                return new UpstreamFailure(502, "tls", "TLS with upstream " + upstream + " failed: " + t.getMessage());
            }
            if (t instanceof SocketTimeoutException || t instanceof TimeoutException) {
                return connecting
                        ? new UpstreamFailure(504, "connect_timeout", "no connection to upstream " + upstream + " within "
                                + Durations.format(config.connectTimeout()) + " (upstream.connect-timeout)")
                        : new UpstreamFailure(504, "response_timeout", "upstream " + upstream + " did not respond within "
                                + Durations.format(config.responseTimeout()) + " (upstream.response-timeout)");
            }
            if (t instanceof ConnectionClosedException) {
                return new UpstreamFailure(502, "reset", "upstream " + upstream + " closed the connection before responding");
            }
        }
        String message = error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage();
        if (message.toLowerCase().contains("reset") || message.toLowerCase().contains("broken pipe")) {
            return new UpstreamFailure(502, "reset", "upstream " + upstream + " reset the connection");
        }
        return new UpstreamFailure(502, "other", "upstream " + upstream + " failed: " + message);
    }

    /** A short reason for a health check's log line and /healthz: what went wrong talking to {@code node}. */
    public static String describe(Throwable error, Node node) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof NoRouteToHostException) {
                return "connection refused";
            }
            if (t instanceof UnknownHostException) {
                return "host " + node.url().getHost() + " cannot be resolved";
            }
            if (t instanceof SSLException) {
                return "TLS failed: " + t.getMessage();
            }
            if (t instanceof SocketTimeoutException || t instanceof TimeoutException) {
                return "timed out";
            }
            if (t instanceof ConnectionClosedException) {
                return "connection closed before an answer";
            }
        }
        return error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage();
    }
}
