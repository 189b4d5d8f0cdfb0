package io.towerrelay.probe;

/**
 * What to do about a finding: one sentence, then the concrete lines for each place it can be fixed.
 * Any of the config fields may be null when that component has nothing to change.
 *
 * @param fix    what to change, in words
 * @param nginx  lines for the NGINX server block / location
 * @param apache lines for the Apache virtual host
 * @param relay  lines for the tower-relay YAML config
 * @param tower  Tower / AWX setting to change
 */
public record Advice(String fix, String nginx, String apache, String relay, String tower) {
    public static Advice words(String fix) {
        return new Advice(fix, null, null, null, null);
    }
}
