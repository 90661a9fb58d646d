import java.sql.*;

/**
 * Reads the model's keys through pgjdbc's DatabaseMetaData, as DBeaver's ER view and Tableau's
 * relationship inference do: getPrimaryKeys, getImportedKeys and getExportedKeys.
 * Usage: java KeysCheck HOST PORT KEY; prints JSON (rows as "a|b|..." strings).
 */
public class KeysCheck {
    public static void main(String[] args) throws Exception {
        String url = "jdbc:postgresql://" + args[0] + ":" + args[1] + "/setupranali?sslmode=disable";
        StringBuilder out = new StringBuilder("{");
        try (Connection c = DriverManager.getConnection(url, "jdbc", args[2])) {
            DatabaseMetaData md = c.getMetaData();
            out.append("\"pk\":");
            list(out, md.getPrimaryKeys(null, "public", "orders"), "TABLE_NAME", "COLUMN_NAME", "KEY_SEQ", "PK_NAME");
            out.append(",\"imported\":");
            list(out, md.getImportedKeys(null, "public", "orders"), "PKTABLE_NAME", "PKCOLUMN_NAME", "FKTABLE_NAME",
                "FKCOLUMN_NAME", "KEY_SEQ", "FK_NAME", "PK_NAME");
            out.append(",\"exported\":");
            list(out, md.getExportedKeys(null, "public", "customers"), "PKTABLE_NAME", "PKCOLUMN_NAME", "FKTABLE_NAME",
                "FKCOLUMN_NAME", "KEY_SEQ", "FK_NAME", "PK_NAME");
        }
        System.out.println(out.append("}"));
    }

    static void list(StringBuilder out, ResultSet rs, String... cols) throws SQLException {
        out.append("[");
        boolean first = true;
        while (rs.next()) {
            out.append(first ? "\"" : ",\"");
            for (int i = 0; i < cols.length; i++) {
                out.append(i == 0 ? "" : "|").append(rs.getString(cols[i]));
            }
            out.append("\"");
            first = false;
        }
        rs.close();
        out.append("]");
    }
}
