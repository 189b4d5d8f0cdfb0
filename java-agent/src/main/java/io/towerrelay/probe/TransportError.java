package io.towerrelay.probe;

/**
 * Why a connection failed below HTTP, reduced to what an admin can act on.
 *
 * @param kind    the class of failure
 * @param message the underlying message, for the evidence
 */
public record TransportError(Kind kind, String message) {

    public enum Kind {
        REFUSED, UNKNOWN_HOST, TIMEOUT, TLS_UNTRUSTED, TLS_HOSTNAME, TLS_NOT_TLS, TLS_OTHER, CLOSED, IO;

        public boolean isTls() {
            return this == TLS_UNTRUSTED || this == TLS_HOSTNAME || this == TLS_NOT_TLS || this == TLS_OTHER;
        }
    }

    /** Classifies an exception from a socket, TLS or HTTP client by its type and the messages in its chain. */
    public static TransportError of(Throwable error) {
        String message = describe(error);
        for (Throwable t = error; t != null; t = t.getCause()) {
            String m = String.valueOf(t.getMessage());
            if (t instanceof java.security.cert.CertPathValidatorException
                    || t instanceof java.security.cert.CertPathBuilderException
                    || m.contains("PKIX path") || m.contains("unable to find valid certification path")
                    || m.contains("self-signed") || m.contains("self signed")) {
                return new TransportError(Kind.TLS_UNTRUSTED, message);
            }
            if (m.contains("No subject alternative") || m.contains("doesn't match any of the subject alternative")
                    || m.contains("does not match") && t instanceof javax.net.ssl.SSLException) {
                return new TransportError(Kind.TLS_HOSTNAME, message);
            }
            if (m.contains("Unsupported or unrecognized SSL message") || m.contains("plaintext connection?")) {
                return new TransportError(Kind.TLS_NOT_TLS, message);
            }
        }
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof java.net.ConnectException) {
                return new TransportError(Kind.REFUSED, message);
            }
            if (t instanceof java.net.UnknownHostException) {
                return new TransportError(Kind.UNKNOWN_HOST, message);
            }
            if (t instanceof java.net.SocketTimeoutException || t instanceof java.util.concurrent.TimeoutException) {
                return new TransportError(Kind.TIMEOUT, message);
            }
            if (t instanceof javax.net.ssl.SSLException) {
                return new TransportError(Kind.TLS_OTHER, message);
            }
            if (t instanceof java.io.EOFException || t instanceof org.apache.hc.core5.http.NoHttpResponseException
                    || String.valueOf(t.getMessage()).contains("Connection reset")) {
                return new TransportError(Kind.CLOSED, message);
            }
        }
        return new TransportError(Kind.IO, message);
    }

    private static String describe(Throwable error) {
        Throwable root = error;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String top = error.getClass().getSimpleName() + ": " + error.getMessage();
        return root == error ? top : top + " (" + root.getClass().getSimpleName() + ": " + root.getMessage() + ")";
    }
}
