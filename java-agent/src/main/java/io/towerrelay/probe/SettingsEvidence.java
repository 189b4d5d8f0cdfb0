package io.towerrelay.probe;

import java.util.List;

/**
 * Tower's proxy-related settings, read from {@code /api/v2/settings/system/} when credentials were given.
 *
 * @param status            HTTP status of the read (0 when not attempted or failed)
 * @param remoteHostHeaders REMOTE_HOST_HEADERS, or null when not read
 */
public record SettingsEvidence(int status, List<String> remoteHostHeaders) {
    public static final SettingsEvidence NOT_READ = new SettingsEvidence(0, null);

    public SettingsEvidence {
        remoteHostHeaders = remoteHostHeaders == null ? null : List.copyOf(remoteHostHeaders);
    }

    public boolean read() {
        return remoteHostHeaders != null;
    }
}
