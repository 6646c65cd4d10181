"""Channel-layer group names. Every name includes the brand, so brands never share a group."""


def player_group(*, brand_id: int, player_id: int) -> str:
    return f"brand.{brand_id}.player.{player_id}"
