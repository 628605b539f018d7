/**
 * Log text that several suites feed to telemcp's readers: the parsers' unit tests and the
 * `telemcp ingest` end-to-end tests read the same lines, so both check the same expectations.
 */

/** Log4j-style lines: a record, an error with a Java stack trace (a cause and "... 12 more"), a record. */
export const JAVA_STACK_LOG = [
  '2024-05-01 10:00:00,123 INFO  [main] c.e.shop.Checkout - order 42 placed',
  '2024-05-01 10:00:01,500 ERROR [http-nio-8080-exec-3] c.e.shop.Payment - charge failed',
  'java.lang.IllegalStateException: card declined',
  '\tat com.example.shop.Payment.charge(Payment.java:88)',
  '\tat com.example.shop.Checkout.pay(Checkout.java:41)',
  'Caused by: java.net.SocketTimeoutException: Read timed out',
  '\tat java.base/java.net.SocketInputStream.read(SocketInputStream.java:168)',
  '\t... 12 more',
  '2024-05-01 10:00:02,000 WARN  [main] c.e.shop.Checkout - retrying',
].join('\n');
