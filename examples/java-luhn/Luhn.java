import java.nio.file.Files;
import java.nio.file.Path;

/** Luhn check: the payload holds card numbers, one per line; prints "number valid|invalid". */
public class Luhn {
  static boolean valid(String number) {
    String digits = number.replaceAll("[\\s-]", "");
    if (!digits.matches("\\d{12,19}")) return false;
    int sum = 0;
    for (int i = 0; i < digits.length(); i++) {
      int d = digits.charAt(digits.length() - 1 - i) - '0';
      if (i % 2 == 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
    return sum % 10 == 0;
  }

  public static void main(String[] args) throws Exception {
    int invalid = 0;
    for (String line : Files.readAllLines(Path.of(System.getenv("PAYLOAD_FILE")))) {
      if (line.isBlank()) continue;
      boolean ok = valid(line);
      if (!ok) invalid++;
      System.out.println(line.trim() + " " + (ok ? "valid" : "invalid"));
    }
    System.exit(invalid == 0 ? 0 : 1);
  }
}
