package io.towerrelay.conformance;

import java.util.Map;

/** The "What each proxy passes" table of docs/testing.md, from what the suite observed. */
final class ConformanceTable {
    private ConformanceTable() {}

    static String render(Map<Front, Map<Check, Outcome>> results) {
        StringBuilder table = new StringBuilder("| front proxy |");
        for (Check check : Check.values()) {
            table.append(' ').append(check.column).append(" |");
        }
        table.append("\n|---|");
        table.append("---|".repeat(Check.values().length)).append('\n');
        for (Front front : Front.values()) {
            Map<Check, Outcome> row = results.getOrDefault(front, Map.of());
            table.append("| ").append(front.title).append(front.isNegativeControl() ? " (negative control)" : "").append(" |");
            for (Check check : Check.values()) {
                Outcome outcome = row.get(check);
                String cell = !check.appliesTo(front) ? "n/a (plain HTTP)"
                        : outcome == null ? "not run" : outcome.passed() ? "pass" : "**fail**: " + outcome.observed();
                table.append(' ').append(cell).append(" |");
            }
            table.append('\n');
        }
        return table.toString();
    }
}
