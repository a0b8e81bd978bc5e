using System.Reflection;

namespace Conductor.Tests.Unit;

/// <summary>
/// <c>scripts/test.sh --filter Category=Unit</c> runs the tests that need no server: exactly the
/// classes of this folder, each marked with the trait. A class added here without it would be
/// left out silently; one marked elsewhere would need PostgreSQL or Redis.
/// </summary>
[Trait("Category", "Unit")]
public sealed class UnitCategoryTests
{
    private static bool HasTests(Type type) => type.GetMethods()
        .Any(m => m.GetCustomAttributes<FactAttribute>().Any());

    private static bool MarkedUnit(Type type) => type.GetCustomAttributesData()
        .Any(a => a.AttributeType == typeof(TraitAttribute)
                  && a.ConstructorArguments.Select(c => c.Value as string).SequenceEqual(["Category", "Unit"]));

    [Fact]
    public void EveryTestClassOfTheUnitFolder_AndNoOther_IsInCategoryUnit()
    {
        var testClasses = typeof(UnitCategoryTests).Assembly.GetTypes().Where(HasTests).ToList();

        testClasses.Where(t => t.Namespace == typeof(UnitCategoryTests).Namespace && !MarkedUnit(t)).Select(t => t.Name)
            .Should().BeEmpty("every class under Unit/ needs [Trait(\"Category\", \"Unit\")]");
        testClasses.Where(t => t.Namespace != typeof(UnitCategoryTests).Namespace && MarkedUnit(t)).Select(t => t.FullName)
            .Should().BeEmpty("Category=Unit is for the tests without servers, which live under Unit/");
    }
}
