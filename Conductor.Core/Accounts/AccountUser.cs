namespace Conductor.Core.Accounts;

/// <summary>
/// The Unix user an account's jobs run as, the same on every node: the uid is handed out once, from
/// the configured range, when the account's first job starts anywhere, and every node then runs the
/// account under that uid and name, so files it leaves on shared storage stay its own.
/// </summary>
public sealed class AccountUser
{
    public string Account { get; set; } = "";
    public int Uid { get; set; }
    public string UserName { get; set; } = "";
    public DateTime CreatedAt { get; set; }
}
