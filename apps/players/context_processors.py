def player(request):
    get_player = getattr(request, "get_player", None)
    return {"player": get_player() if get_player else None}
