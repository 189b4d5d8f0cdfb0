package io.towerrelay.conformance;

/**
 * What one check observed through one front proxy. {@code observed} is worded without ports or
 * timings, so the suite can assert the exact way a negative control fails.
 */
record Outcome(boolean passed, String observed) {
    static Outcome pass(String observed) {
        return new Outcome(true, observed);
    }

    static Outcome fail(String observed) {
        return new Outcome(false, observed);
    }
}
