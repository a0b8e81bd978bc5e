using Conductor.Core.Accounts;
using Conductor.Core.Storage;
using Conductor.Tests.Infrastructure;
using Npgsql;

namespace Conductor.Tests.Integration;

/// <summary>
/// account_users as nodes allocate into it at once: the table's unique constraints decide every
/// race, the loser reads the winner's row or moves on to the next uid. No Unix user is made here.
/// </summary>
public sealed class AccountUserStoreTests : IAsyncLifetime
{
    private TestDatabase _db = null!;
    private NpgsqlDataSource _source = null!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _source = NpgsqlDataSource.Create(_db.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await _source.DisposeAsync();
        await _db.DisposeAsync();
    }

    /// <summary>One store per simulated node: each has its own connections, as separate workers would.</summary>
    private AccountUserStore Node() => new(NpgsqlDataSource.Create(_db.ConnectionString));

    private static readonly Func<int, bool> NothingTakenHere = _ => false;

    [Fact]
    public async Task ManyNodesAllocatingOneAccountAtOnce_AllGetTheSameRow()
    {
        var range = new UidRange(250000, 250009);

        var rows = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            Task.Run(() => Node().GetOrAllocateAsync("race", "cj-race", range, null, NothingTakenHere, default))));

        rows.Select(r => r.Uid).Distinct().Should().ContainSingle().Which.Should().Be(250000, "the lowest free uid");
        (await _db.ScalarAsync<long>("SELECT count(*) FROM account_users")).Should().Be(1);
    }

    [Fact]
    public async Task ManyAccountsAllocatingAtOnce_GetDistinctUids_UntilTheRangeIsExhausted()
    {
        var range = new UidRange(251000, 251009);

        var rows = await Task.WhenAll(Enumerable.Range(0, 10).Select(i =>
            Task.Run(() => Node().GetOrAllocateAsync($"acct{i}", $"cj-acct{i}", range, null, NothingTakenHere, default))));
        var full = () => Node().GetOrAllocateAsync("one-too-many", "cj-one-too-many", range, null, NothingTakenHere, default);

        rows.Select(r => r.Uid).Should().OnlyHaveUniqueItems().And.OnlyContain(uid => range.Contains(uid));
        await full.Should().ThrowAsync<InvalidOperationException>().WithMessage("*No uid of UidRange 251000-251009*");
    }

    [Fact]
    public async Task AUidTakenByALocalUser_IsSkipped_AndAnEarlierUsersUidIsKeptWhenFree()
    {
        var range = new UidRange(252000, 252099);
        var store = Node();

        var skipped = await store.GetOrAllocateAsync("skip", "cj-skip", range, null, uid => uid <= 252001, default);
        var kept = await store.GetOrAllocateAsync("kept", "cj-kept", range, 252050, NothingTakenHere, default);
        var preferredButTaken = await store.GetOrAllocateAsync("late", "cj-late", range, 252050, NothingTakenHere, default);

        skipped.Uid.Should().Be(252002, "252000 and 252001 belong to local users here");
        kept.Uid.Should().Be(252050, "a local user of that name already has this uid");
        preferredButTaken.Uid.Should().Be(252000, "252050 is another account's, so the lowest free uid is given");
        (await store.FindAsync("kept", default))!.UserName.Should().Be("cj-kept");
    }

    [Fact]
    public async Task AUserNameThatBelongsToAnotherAccount_IsRefused_NamingThatAccount()
    {
        var range = new UidRange(253000, 253099);
        var store = Node();
        await store.GetOrAllocateAsync("first", "cj-shared-name", range, null, NothingTakenHere, default);

        var second = () => store.GetOrAllocateAsync("second", "cj-shared-name", range, null, NothingTakenHere, default);

        await second.Should().ThrowAsync<InvalidOperationException>().WithMessage("*cj-shared-name*already belongs to account 'first'*");
        (await store.FindAsync("second", default)).Should().BeNull();
    }
}
