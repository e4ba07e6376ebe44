package dev.kiln.api.registry;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/** Nearest-name suggestions for unknown keys and class names. */
public final class Names {
  private Names() {}

  /** {@code " (did you mean `units`?)"}, or empty when nothing is close. */
  static String suggest(String given, Collection<String> known) {
    List<String> near = nearest(given, known, 3);
    if (near.isEmpty()) {
      return "";
    }
    return " (did you mean "
        + String.join(" or ", near.stream().map(n -> "`" + n + "`").toList())
        + "?)";
  }

  /**
   * Up to {@code max} known names within an edit distance of a third of the name's length; when
   * none is that close, the names that start with the given one ({@code glorot} for {@code
   * glorot_uniform}).
   */
  static List<String> nearest(String given, Collection<String> known, int max) {
    String g = given.toLowerCase(Locale.ROOT);
    int limit = Math.max(2, g.length() / 3);
    List<String> out = new ArrayList<>();
    for (int d = 0; d <= limit && out.size() < max; d++) {
      for (String k : known) {
        if (out.size() < max
            && out.stream().noneMatch(k::equalsIgnoreCase)
            && distance(g, k.toLowerCase(Locale.ROOT)) == d) {
          out.add(k);
        }
      }
    }
    if (out.isEmpty() && g.length() >= 3) {
      for (String k : known) {
        if (out.size() < max
            && out.stream().noneMatch(k::equalsIgnoreCase)
            && k.toLowerCase(Locale.ROOT).startsWith(g)) {
          out.add(k);
        }
      }
    }
    return out;
  }

  /**
   * The edit (Levenshtein) distance between two strings: insertions, deletions and substitutions.
   */
  public static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
