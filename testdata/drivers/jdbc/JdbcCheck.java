import java.sql.*;

/**
 * Drives the gateway with pgjdbc the way Tableau, Metabase and DBeaver do: a Statement, a
 * PreparedStatement run past pgjdbc's prepare threshold (named server statements, binary
 * results), an error, ResultSetMetaData's table names, and DatabaseMetaData. Usage: java JdbcCheck HOST PORT KEY; prints JSON.
 */
public class JdbcCheck {
    public static void main(String[] args) throws Exception {
        String url = "jdbc:postgresql://" + args[0] + ":" + args[1] + "/setupranali?sslmode=disable";
        StringBuilder out = new StringBuilder("{");
        try (Connection c = DriverManager.getConnection(url, "jdbc", args[2])) {
            try (Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT city, total_revenue FROM orders ORDER BY city")) {
                out.append("\"rows\":[");
                boolean first = true;
                while (rs.next()) {
                    out.append(first ? "" : ",").append("\"").append(rs.getString(1)).append("|").append(rs.getDouble(2)).append("\"");
                    first = false;
                }
                out.append("],");
                // getTableName and getColumnName look the RowDescription's table oid and
                // attribute number up in pg_class and pg_attribute.
                ResultSetMetaData rm = rs.getMetaData();
                out.append("\"table_names\":[\"").append(rm.getTableName(1)).append(".").append(rm.getColumnName(1))
                   .append("\",\"").append(rm.getTableName(2)).append(".").append(rm.getColumnName(2)).append("\"],");
            }
            // Past prepareThreshold (5) pgjdbc switches to a named statement with binary results.
            try (PreparedStatement p = c.prepareStatement("SELECT total_revenue, order_date FROM orders WHERE city = ?")) {
                out.append("\"prepared\":[");
                for (int i = 0; i < 7; i++) {
                    p.setString(1, i % 2 == 0 ? "Indore" : "Bhopal");
                    try (ResultSet rs = p.executeQuery()) {
                        rs.next();
                        out.append(i == 0 ? "" : ",").append("\"").append(rs.getDouble(1)).append("|").append(rs.getDate(2)).append("\"");
                    }
                }
                out.append("],");
            }
            try (Statement s = c.createStatement()) {
                s.executeQuery("SELECT cty FROM orders");
            } catch (SQLException e) {
                out.append("\"error\":\"").append(e.getSQLState()).append("\",");
            }
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM orders")) {
                rs.next();
                out.append("\"after_error\":").append(rs.getLong(1)).append(",");
                out.append("\"computed_table\":\"").append(rs.getMetaData().getTableName(1)).append("\",");
            }
            DatabaseMetaData md = c.getMetaData();
            out.append("\"product\":\"").append(md.getDatabaseProductName()).append(" ").append(md.getDatabaseMajorVersion()).append("\",");
            out.append("\"tables\":[");
            try (ResultSet rs = md.getTables(null, "public", "%", new String[] {"TABLE"})) {
                boolean first = true;
                while (rs.next()) {
                    out.append(first ? "" : ",").append("\"").append(rs.getString("TABLE_NAME")).append("\"");
                    first = false;
                }
            }
            out.append("]");
        }
        System.out.println(out.append("}"));
    }
}
